//! The global allocator: mimalloc, called the way glibc's malloc is called
//! by Rust's `System` allocator.
//!
//! The `mimalloc` crate passes every request to `mi_malloc_aligned`, even
//! for the 8-byte alignment of an ordinary `String` or `Vec`. mimalloc v3
//! serves such a request from its fast path only when the block happens to
//! sit at the right address and the size class is a power of two;
//! otherwise it over-allocates and offsets the pointer. A render's many
//! 24-, 40- and 48-byte nodes took that slow path. mimalloc guarantees
//! word alignment for every block and 16-byte alignment for every block of
//! 16 bytes or more (`MI_MAX_ALIGN_SIZE`), so requests within that go to
//! plain `mi_malloc`, and only larger alignments pay for the aligned entry
//! points.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys::{
    mi_free, mi_malloc, mi_malloc_aligned, mi_realloc, mi_realloc_aligned, mi_zalloc,
    mi_zalloc_aligned,
};

/// mimalloc's guaranteed alignment for a block of at least this size.
const MIN_ALIGN: usize = 16;

/// The process's allocator (see the module docs for why not `mimalloc::MiMalloc`).
pub struct Mimalloc;

/// Whether mimalloc's plain entry points already give `layout`'s alignment.
fn plain(layout: &Layout) -> bool {
    layout.align() <= MIN_ALIGN && layout.align() <= layout.size()
}

// SAFETY: every entry point is mimalloc's own, which returns blocks of at
// least the requested size, null on failure, and frees any block it made
// with `mi_free`; `plain` only routes to the unaligned calls when
// mimalloc's guarantees cover the requested alignment.
unsafe impl GlobalAlloc for Mimalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl's comment.
        unsafe {
            if plain(&layout) {
                mi_malloc(layout.size()) as *mut u8
            } else {
                mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: see the impl's comment.
        unsafe {
            if plain(&layout) {
                mi_zalloc(layout.size()) as *mut u8
            } else {
                mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi_free(ptr as *mut c_void) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator; the new size keeps the
        // alignment, and `plain` is checked against the new size.
        unsafe {
            let new = Layout::from_size_align_unchecked(new_size, layout.align());
            if plain(&new) {
                mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size and alignment a program asks for comes back aligned,
    /// whichever entry point served it, and survives a realloc.
    #[test]
    fn blocks_are_aligned_for_every_layout() {
        let a = Mimalloc;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=300).chain([1000, 4096, 70_000, 1 << 20]) {
                let size = size.max(align) / align * align;
                let layout = Layout::from_size_align(size, align).expect("valid layout");
                // SAFETY: a non-zero size; each block is freed once, by us.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(
                        !p.is_null() && (p as usize).is_multiple_of(align),
                        "{size}/{align}"
                    );
                    p.write_bytes(0xAB, size);
                    let q = a.realloc(p, layout, size * 3);
                    assert!(
                        !q.is_null() && (q as usize).is_multiple_of(align),
                        "realloc {size}/{align}"
                    );
                    assert_eq!(*q.add(size - 1), 0xAB);
                    a.dealloc(q, Layout::from_size_align(size * 3, align).expect("valid"));
                    let z = a.alloc_zeroed(layout);
                    assert!((z as usize).is_multiple_of(align) && *z.add(size - 1) == 0);
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
