//! `.dockerignore` exactly as `docker build` reads and applies it (docker
//! CLI ≥ 23 with the classic builder, which tars the context itself).
//!
//! plumb tags an image with the digest of its build context, and a build is
//! skipped when an image with that tag exists. So the files plumb digests
//! must be exactly the files `docker build` would send: one file too many
//! (a `.git` directory, a log) rebuilds on every unrelated commit, one too
//! few serves a stale image. "Roughly gitignore" is not enough; this module
//! ports the Go code path by path:
//!
//! - reading the file: docker/cli `ReadDockerignore` → moby/patternmatcher
//!   `ignorefile.ReadAll` (BOM, `#` comments only at the start of a line,
//!   trimming, `!`, `filepath.Clean`, leading `/` dropped);
//! - compiling the patterns: `patternmatcher.New` (Go's `filepath.Match`
//!   syntax check) and `Pattern.compile`, including its fast paths (exact,
//!   `foo/**` prefix, `**/foo` suffix) and the regular expression it builds
//!   for everything else. That expression is Go `regexp` syntax, so it is
//!   parsed here with Go's rules (module `goregex`) and re-emitted for the
//!   `regex` crate: in Docker `\d` in a pattern is a digit and `[[:alpha:]]`
//!   a POSIX class, and plumb agrees;
//! - the CLI's `TrimBuildFilesFromExcludes` (the Dockerfile and
//!   `.dockerignore` are always sent), which uses the deprecated
//!   `PatternMatcher.Matches`;
//! - the selection of moby/go-archive `TarWithOptions`: a walk that asks
//!   `MatchesUsingParentResults` with the parent directory's per-pattern
//!   results, and skips an excluded directory unless an exception pattern
//!   starts with that directory's path.
//!
//! Quirks that follow (all checked against the real CLI in
//! `tests/dockerignore.rs`): `!a/*/b` cannot re-include anything below an
//! excluded `a/x`, nor can `!**/b` below any excluded directory; `**.md`
//! matches every path ending in `.md`; `foo/**` does not exclude the
//! directory entry `foo` itself; with `app/tests` then `!app`, `app/tests`
//! stays excluded (the exception is skipped while `app` is not excluded, and
//! a child only inherits a pattern its parent matched).
//!
//! Pure: no I/O. Docker 20.10's CLI behaves differently in places (it used
//! the buggy `Matches` and escaped fewer characters); plumb follows current
//! Docker.

use std::collections::HashMap;
use std::rc::Rc;

use regex::Regex;

/// `bufio.Scanner`'s default token limit: docker fails on a longer line.
const MAX_LINE: usize = 64 * 1024;

/// A parsed `.dockerignore`: its patterns, compiled, in file order (later
/// patterns override earlier ones).
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    /// Whether any pattern is an exception (`!…`); patternmatcher's
    /// `Exclusions()`, which decides whether excluded directories are
    /// looked into at all.
    exclusions: bool,
}

/// A `.dockerignore` that `docker build` refuses, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// A line is `!` alone (or `!/`): patternmatcher's "illegal exclusion
    /// pattern".
    #[error(
        "{file}:{line}: illegal exclusion pattern `{pattern}`: `!` needs a path \
         after it (e.g. `!keep.txt`); docker build refuses this file"
    )]
    LoneExclamation {
        /// The file, as given to [`DockerIgnore::parse`].
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line as written, trimmed.
        pattern: String,
    },
    /// Go's `filepath.Match` rejects the pattern's syntax, or Go's `regexp`
    /// rejects the expression patternmatcher turns it into; docker build
    /// fails with "syntax error in pattern".
    #[error(
        "{file}:{line}: syntax error in pattern `{pattern}`: {reason}; docker build \
         fails on it (escape a literal `[`, `]` or `\\` with `\\`)"
    )]
    BadPattern {
        /// The file, as given to [`DockerIgnore::parse`].
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line as written, trimmed.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A line longer than Go's `bufio.Scanner` accepts (64 KiB); docker
    /// fails with "bufio.Scanner: token too long".
    #[error(
        "{file}:{line}: line is {len} bytes long, docker reads at most {max} \
         (bufio.Scanner: token too long); split or shorten it",
        max = MAX_LINE - 1
    )]
    LineTooLong {
        /// The file, as given to [`DockerIgnore::parse`].
        file: String,
        /// 1-based line number.
        line: usize,
        /// The line's length in bytes.
        len: usize,
    },
}

impl IgnoreError {
    /// A stable name for the error's kind (for metric labels).
    pub fn kind(&self) -> &'static str {
        match self {
            IgnoreError::LoneExclamation { .. } => "lone_exclamation",
            IgnoreError::BadPattern { .. } => "bad_pattern",
            IgnoreError::LineTooLong { .. } => "line_too_long",
        }
    }
}

/// Why patternmatcher rejects a pattern (before file and line are known).
enum Rejected {
    LoneExclamation,
    Bad(String),
}

/// Where a directory stands in docker's context walk.
#[derive(Clone)]
enum DirState {
    /// The walk does not go in (`filepath.SkipDir`): nothing below is sent.
    Pruned,
    /// The walk goes in; the children inherit these per-pattern results.
    Open(Rc<[bool]>),
}

impl DockerIgnore {
    /// Parses `.dockerignore` text as docker/cli's `ReadDockerignore` does
    /// (patternmatcher's `ignorefile.ReadAll`), then compiles every pattern
    /// as `patternmatcher.New` and `Pattern.compile` do.
    ///
    /// Per line: a UTF-8 BOM is dropped from the first line; a line starting
    /// with `#` (before any trimming) is a comment; whitespace is trimmed; a
    /// leading `!` makes an exception (whitespace after it is trimmed too);
    /// the path is `filepath.Clean`ed and a leading `/` dropped (`/a`, `./a`
    /// and `a/` all mean `a`); empty lines are skipped. `file` names the file
    /// in errors (`apps/api/.dockerignore`).
    ///
    /// # Errors
    ///
    /// The first line docker would refuse: a lone `!`, a pattern
    /// `filepath.Match` calls malformed (`[`, `[]`, `[a-]`, a trailing `\`),
    /// a pattern whose regular expression Go's `regexp` rejects (`\q`,
    /// `[z-a*]`), or a line of 64 KiB or more.
    ///
    /// # Caveats
    ///
    /// Docker compiles the regular expression lazily and fails the build
    /// only when a path first reaches that pattern (almost always: every
    /// path reaches the first patterns); plumb refuses the file up front.
    pub fn parse(text: &str, file: &str) -> Result<DockerIgnore, IgnoreError> {
        let mut ignore = DockerIgnore::default();
        for (index, raw) in split_lines(text).enumerate() {
            let line = index + 1;
            if raw.len() >= MAX_LINE {
                return Err(IgnoreError::LineTooLong {
                    file: file.to_string(),
                    line,
                    len: raw.len(),
                });
            }
            let raw = if index == 0 {
                raw.strip_prefix('\u{feff}').unwrap_or(raw)
            } else {
                raw
            };
            let Some(pattern) = read_line(raw) else {
                continue;
            };
            ignore
                .push(&pattern, line)
                .map_err(|rejected| match rejected {
                    Rejected::LoneExclamation => IgnoreError::LoneExclamation {
                        file: file.to_string(),
                        line,
                        pattern: raw.trim().to_string(),
                    },
                    Rejected::Bad(reason) => IgnoreError::BadPattern {
                        file: file.to_string(),
                        line,
                        pattern: raw.trim().to_string(),
                        reason,
                    },
                })?;
        }
        Ok(ignore)
    }

    /// The CLI's `build.TrimBuildFilesFromExcludes`: when the patterns
    /// exclude `.dockerignore` or the Dockerfile, appends `!.dockerignore`
    /// and `!<dockerfile>` so both are still sent, as `docker build` does
    /// (the daemon drops them from the build itself). `dockerfile` is the
    /// Dockerfile's path relative to the context (`Dockerfile`,
    /// `docker/api.Dockerfile`); it is cleaned as the CLI's is.
    ///
    /// Like docker this uses patternmatcher's deprecated `Matches`, which
    /// checks only the parent directory as deep as the pattern, and the
    /// appended exception is a pattern like any other (`!Dockerfile.*` would
    /// keep more than the Dockerfile).
    ///
    /// # Caveats
    ///
    /// A Dockerfile whose path is no valid pattern (it contains `[` or
    /// `\`) makes docker build fail; plumb keeps exactly that file instead.
    pub fn keep_build_files(&mut self, dockerfile: &str) {
        if self.matches_legacy(".dockerignore") {
            self.push_build_file(".dockerignore");
        }
        let dockerfile = clean(dockerfile);
        if self.matches_legacy(&dockerfile) {
            self.push_build_file(&dockerfile);
        }
    }

    /// For each entry of a full context listing (any order), whether
    /// `docker build` sends it: the selection of moby/go-archive's
    /// `TarWithOptions` walk. Returns one bool per entry, in order.
    ///
    /// A directory entry is `true` when the tar holds an entry for the
    /// directory itself. An excluded directory that the walk still enters
    /// (an exception pattern starts with its path) is `false` while some of
    /// its children may be `true`: docker sends `build/keep.me` without
    /// `build/`. Ancestor directories need not be in `entries`; their fate
    /// is worked out from their paths. The context root (`""`) is never
    /// sent.
    pub fn keeps(&self, entries: &[super::ContextEntry]) -> Vec<bool> {
        let mut dirs: HashMap<&str, DirState> = HashMap::new();
        entries
            .iter()
            .map(|entry| self.keeps_path(&entry.path, &mut dirs))
            .collect()
    }

    /// Whether `path` (relative, `/`-separated) is excluded by itself or
    /// through a parent directory: patternmatcher's `MatchesOrParentMatches`
    /// after `filepath.Clean`, as the CLI's `ValidateContextDirectory` asks.
    /// It differs from [`DockerIgnore::keeps`] in corner cases (`app/tests`
    /// then `!app` makes `app/tests` not excluded here, yet unsent); use
    /// `keeps` to decide what a context holds.
    pub fn excludes(&self, path: &str) -> bool {
        let path = clean(path);
        if path == "." {
            return false;
        }
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            if pattern.matches(&path) || parents(&path).any(|dir| pattern.matches(dir)) {
                matched = !pattern.exclusion;
            }
        }
        matched
    }

    /// Whether there are no patterns at all (no file, or only comments and
    /// blank lines).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Compiles one pattern as `patternmatcher.New` does and appends it.
    fn push(&mut self, raw: &str, line: usize) -> Result<(), Rejected> {
        let cleaned = clean(raw.trim());
        let (exclusion, cleaned) = match cleaned.strip_prefix('!') {
            Some("") => return Err(Rejected::LoneExclamation),
            Some(rest) => (true, rest.to_string()),
            None => (false, cleaned),
        };
        check_glob(&cleaned).map_err(|reason| Rejected::Bad(reason.to_string()))?;
        let matcher = Matcher::compile(&cleaned).map_err(Rejected::Bad)?;
        self.exclusions |= exclusion;
        self.patterns.push(Pattern {
            depth: cleaned.split('/').count(),
            cleaned,
            exclusion,
            matcher,
            line,
        });
        Ok(())
    }

    /// Appends the exception `!path` for a build file (line 0: no line of
    /// the file). A path Docker cannot compile falls back to an exact match.
    fn push_build_file(&mut self, path: &str) {
        if self.push(&format!("!{path}"), 0).is_err() {
            self.exclusions = true;
            self.patterns.push(Pattern {
                cleaned: path.to_string(),
                depth: path.split('/').count(),
                exclusion: true,
                matcher: Matcher::Exact,
                line: 0,
            });
        }
    }

    /// One path's fate in the walk: its ancestors first (memoised in
    /// `dirs`), then the path with its parent's results.
    fn keeps_path<'p>(&self, path: &'p str, dirs: &mut HashMap<&'p str, DirState>) -> bool {
        if path.is_empty() || path == "." {
            return false;
        }
        let mut parent: Option<Rc<[bool]>> = None;
        for (end, _) in path.match_indices('/') {
            let dir = &path[..end];
            let state = match dirs.get(dir) {
                Some(state) => state.clone(),
                None => {
                    let state = self.enter(dir, parent.as_deref());
                    dirs.insert(dir, state.clone());
                    state
                }
            };
            match state {
                DirState::Pruned => return false,
                DirState::Open(results) => parent = Some(results),
            }
        }
        !self.matches_with_parent(path, parent.as_deref()).0
    }

    /// What the walk does at directory `dir`: go in unless it is excluded,
    /// and go into an excluded one only when some exception pattern starts
    /// with `dir/` (go-archive's check, literal: `!a/*/b` opens `a` but not
    /// `a/x`, `!**/b` opens nothing).
    fn enter(&self, dir: &str, parent: Option<&[bool]>) -> DirState {
        let (skip, results) = self.matches_with_parent(dir, parent);
        if !skip {
            return DirState::Open(results);
        }
        if !self.exclusions {
            return DirState::Pruned;
        }
        let dir_slash = format!("{dir}/");
        let reopened = self
            .patterns
            .iter()
            .filter(|p| p.exclusion)
            .any(|p| format!("{}/", p.cleaned).starts_with(&dir_slash));
        if reopened {
            DirState::Open(results)
        } else {
            DirState::Pruned
        }
    }

    /// patternmatcher's `MatchesUsingParentResults`: whether `path` is
    /// excluded, and which patterns matched it (for its children). A
    /// pattern the parent matched applies as matched; otherwise it is
    /// skipped when it cannot change the outcome (an exclusion while the
    /// path is excluded, an exception while it is not), and its result is
    /// then recorded as `false`, which is what makes `app/tests`, `!app`
    /// keep `app/tests` excluded. Without parent results (a top-level
    /// path) the parent directories are checked as in
    /// `MatchesOrParentMatches`.
    fn matches_with_parent(&self, path: &str, parent: Option<&[bool]>) -> (bool, Rc<[bool]>) {
        let mut matched = false;
        let mut results = vec![false; self.patterns.len()];
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.and_then(|p| p.get(i).copied()).unwrap_or(false);
            if !hit {
                if pattern.exclusion != matched {
                    continue;
                }
                hit = pattern.matches(path);
                if !hit && parent.is_none() {
                    hit = parents(path).any(|dir| pattern.matches(dir));
                }
            }
            results[i] = hit;
            if hit {
                matched = !pattern.exclusion;
            }
        }
        (matched, results.into())
    }

    /// patternmatcher's deprecated `Matches` (after `filepath.Clean`), which
    /// `TrimBuildFilesFromExcludes` still uses: besides the path itself it
    /// checks only the parent prefix with as many components as the
    /// pattern has.
    fn matches_legacy(&self, path: &str) -> bool {
        let path = clean(path);
        if path == "." {
            return false;
        }
        let parent_dirs: Vec<&str> = match path.rsplit_once('/') {
            Some((parent, _)) => parent.split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = pattern.matches(&path);
            if !hit && !parent_dirs.is_empty() && pattern.depth <= parent_dirs.len() {
                hit = pattern.matches(&parent_dirs[..pattern.depth].join("/"));
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }
}

/// The lines of the text as Go's `bufio.ScanLines` yields them: split at
/// `\n`, one trailing `\r` dropped, no empty last line after a final `\n`.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = if text.is_empty() { None } else { Some(body) };
    lines
        .into_iter()
        .flat_map(|body| body.split('\n'))
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
}

/// One line through `ignorefile.ReadAll`: `None` for a comment or a blank
/// line, else the pattern (`!` kept in front).
fn read_line(raw: &str) -> Option<String> {
    if raw.starts_with('#') {
        return None;
    }
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return None;
    }
    let (invert, path) = match trimmed.strip_prefix('!') {
        Some(rest) => (true, rest.trim()),
        None => (false, trimmed),
    };
    let mut path = if path.is_empty() {
        String::new()
    } else {
        clean(path)
    };
    if path.len() > 1 && path.starts_with('/') {
        path.remove(0);
    }
    Some(if invert { format!("!{path}") } else { path })
}

/// Go's `filepath.Clean` on a Unix path: one `/` between elements, no `.`
/// elements, `x/..` pairs removed, `..` kept only at the start of a
/// relative path, no trailing `/`; `.` for an empty result.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// The parent directories of a cleaned relative path, shortest first
/// (`a/b/c` gives `a`, `a/b`).
fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(end, _)| &path[..end])
}

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// The cleaned pattern without its `!` (patternmatcher's `String()`).
    cleaned: String,
    /// How many `/`-separated components it has (for the legacy `Matches`).
    depth: usize,
    /// Whether it is an exception (`!…`).
    exclusion: bool,
    matcher: Matcher,
    /// The line it came from (0 when [`DockerIgnore::keep_build_files`]
    /// added it).
    #[allow(dead_code)] // read only by `Debug` output and the tests
    line: usize,
}

/// patternmatcher's `matchType`: most patterns need no regular expression.
#[derive(Debug, Clone)]
enum Matcher {
    /// No wildcard at all: the path equals the pattern.
    Exact,
    /// Ends in `**` with no wildcard before: the path starts with the
    /// pattern minus the `**` (`foo/**` matches `foo/x`, not `foo`; `doc**`
    /// matches `docs`).
    Prefix,
    /// Starts with `**` and has no other wildcard: the path ends with the
    /// pattern minus the `**`, or equals it minus `**/` (`**.md` matches
    /// `a/b.md`; `**/foo` matches `foo` and `a/foo`).
    Suffix,
    /// Anything else, through the regular expression patternmatcher builds.
    Regex(Regex),
}

impl Pattern {
    /// patternmatcher's `Pattern.match`. The fast paths compare bytes, as
    /// Go slices strings by bytes.
    fn matches(&self, path: &str) -> bool {
        let pattern = self.cleaned.as_bytes();
        let path_bytes = path.as_bytes();
        match &self.matcher {
            Matcher::Exact => path == self.cleaned,
            Matcher::Prefix => path_bytes.starts_with(&pattern[..pattern.len() - 2]),
            Matcher::Suffix => {
                let suffix = &pattern[2..];
                path_bytes.ends_with(suffix)
                    || suffix.first() == Some(&b'/') && path_bytes == &suffix[1..]
            }
            Matcher::Regex(re) => re.is_match(path),
        }
    }
}

impl Matcher {
    /// patternmatcher's `Pattern.compile`: walks the pattern, deciding the
    /// match type and building a Go regular expression; only a
    /// [`Matcher::Regex`] compiles that expression.
    fn compile(pattern: &str) -> Result<Matcher, String> {
        #[derive(PartialEq)]
        enum Kind {
            Exact,
            Prefix,
            Suffix,
            Regex,
        }
        let mut re = String::from("^");
        let mut kind = Kind::Exact;
        let mut chars = pattern.chars().peekable();
        // Go's text/scanner skips a byte order mark as the first character.
        if chars.peek() == Some(&'\u{feff}') {
            chars.next();
        }
        let mut first = true;
        while let Some(ch) = chars.next() {
            match ch {
                '*' if chars.peek() == Some(&'*') => {
                    chars.next();
                    // `**/` is `**`.
                    if chars.peek() == Some(&'/') {
                        chars.next();
                    }
                    if chars.peek().is_none() {
                        if kind == Kind::Exact {
                            kind = Kind::Prefix;
                        } else {
                            re.push_str(".*");
                            kind = Kind::Regex;
                        }
                    } else {
                        re.push_str("(.*/)?");
                        kind = Kind::Regex;
                    }
                    if first {
                        kind = Kind::Suffix;
                    }
                }
                '*' => {
                    re.push_str("[^/]*");
                    kind = Kind::Regex;
                }
                '?' => {
                    re.push_str("[^/]");
                    kind = Kind::Regex;
                }
                '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                    re.push('\\');
                    re.push(ch);
                }
                '\\' => match chars.next() {
                    Some(next) => {
                        re.push('\\');
                        re.push(next);
                        kind = Kind::Regex;
                    }
                    None => re.push('\\'),
                },
                '[' | ']' => {
                    re.push(ch);
                    kind = Kind::Regex;
                }
                _ => re.push(ch),
            }
            first = false;
        }
        match kind {
            Kind::Exact => Ok(Matcher::Exact),
            Kind::Prefix => Ok(Matcher::Prefix),
            Kind::Suffix => Ok(Matcher::Suffix),
            Kind::Regex => {
                re.push('$');
                let rust = goregex::translate(&re).map_err(|why| {
                    format!("Go's regexp rejects `{re}`, the expression docker makes of it: {why}")
                })?;
                Regex::new(&rust)
                    .map(Matcher::Regex)
                    .map_err(|e| format!("its expression `{re}` does not compile here: {e}"))
            }
        }
    }
}

/// Go's `filepath.Match(pattern, ".")` as patternmatcher calls it: only for
/// its syntax errors. Go checks every chunk between unbracketed `*`s.
fn check_glob(pattern: &str) -> Result<(), &'static str> {
    let mut rest = pattern.as_bytes();
    while !rest.is_empty() {
        while rest.first() == Some(&b'*') {
            rest = &rest[1..];
        }
        let mut in_range = false;
        let mut end = 0;
        while end < rest.len() {
            match rest[end] {
                b'\\' if end + 1 < rest.len() => end += 1,
                b'[' => in_range = true,
                b']' => in_range = false,
                b'*' if !in_range => break,
                _ => {}
            }
            end += 1;
        }
        let (chunk, after) = rest.split_at(end);
        check_chunk(chunk)?;
        rest = after;
    }
    Ok(())
}

/// The syntax half of Go's `matchChunk`.
fn check_chunk(mut chunk: &[u8]) -> Result<(), &'static str> {
    while let Some(&c) = chunk.first() {
        match c {
            b'[' => {
                chunk = &chunk[1..];
                if chunk.first() == Some(&b'^') {
                    chunk = &chunk[1..];
                }
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    chunk = class_char(chunk)?;
                    if chunk.first() == Some(&b'-') {
                        chunk = class_char(&chunk[1..])?;
                    }
                    ranges += 1;
                }
            }
            b'\\' => {
                if chunk.len() < 2 {
                    return Err("a trailing `\\` escapes nothing");
                }
                chunk = &chunk[2..];
            }
            _ => chunk = &chunk[1..],
        }
    }
    Ok(())
}

/// Go's `getEsc`: one (possibly escaped) character of a `[...]` class;
/// the class must go on after it.
fn class_char(chunk: &[u8]) -> Result<&[u8], &'static str> {
    let chunk = match chunk.first() {
        None => return Err("`[` is never closed by `]`"),
        Some(b'-') => return Err("a `-` in `[...]` needs a character on each side"),
        Some(b']') => return Err("empty `[]` or a range with no end (`[a-]`)"),
        Some(b'\\') => match &chunk[1..] {
            [] => return Err("`[` is never closed by `]`"),
            escaped => escaped,
        },
        Some(_) => chunk,
    };
    let width = match chunk[0] {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    };
    match chunk.get(width..) {
        Some(rest) if !rest.is_empty() => Ok(rest),
        _ => Err("`[` is never closed by `]`"),
    }
}

/// Go `regexp` syntax (as `regexp.Compile` parses it: Perl flags, one
/// line) translated into `regex` crate syntax with the same meaning.
///
/// The two dialects read the same text differently: in Go `[a[b]` is a
/// class of three characters, `&&` and `~~` in a class are literal, `\<` is
/// `<`, `\d` and `\w` are ASCII and `\pC` leaves out unassigned code points.
/// So the Go expression is parsed with Go's rules (`regexp/syntax`'s
/// `parse.go`) and every literal, class and assertion is written out
/// explicitly.
mod goregex {
    /// A parsed piece of a Go expression, ready to print in Rust syntax.
    enum Node {
        /// One character (a code point: Go allows surrogates, which match
        /// nothing).
        Lit(u32),
        /// Rust syntax for a class or an assertion, printed as is.
        Raw(String),
        /// A group: alternatives of sequences.
        Group(Vec<Vec<Node>>),
        /// A repetition: operand, operator (`*`, `+`, `?`, `{n,m}`), lazy.
        Repeat(Box<Node>, String, bool),
    }

    /// A class that never matches, in Rust syntax.
    const NOTHING: &str = r"[^\x{0}-\x{10FFFF}]";

    /// Translates a whole Go expression.
    pub(super) fn translate(go: &str) -> Result<String, String> {
        let mut parser = Parser { rest: go };
        let alternatives = parser.alternation()?;
        if parser.rest.starts_with(')') {
            return Err("unexpected `)`".into());
        }
        let mut out = String::new();
        print_alternation(&alternatives, &mut out);
        Ok(out)
    }

    fn print_alternation(alternatives: &[Vec<Node>], out: &mut String) {
        for (i, seq) in alternatives.iter().enumerate() {
            if i > 0 {
                out.push('|');
            }
            for node in seq {
                print(node, out);
            }
        }
    }

    fn print(node: &Node, out: &mut String) {
        match node {
            Node::Lit(c) => match char::from_u32(*c) {
                Some(c) if c.is_ascii_alphanumeric() || c == '_' => out.push(c),
                Some(c) => out.push_str(&format!("\\x{{{:X}}}", c as u32)),
                None => out.push_str(NOTHING),
            },
            Node::Raw(s) => out.push_str(s),
            Node::Group(alternatives) => {
                out.push_str("(?:");
                print_alternation(alternatives, out);
                out.push(')');
            }
            Node::Repeat(sub, op, lazy) => {
                out.push_str("(?:");
                print(sub, out);
                out.push(')');
                out.push_str(op);
                if *lazy {
                    out.push('?');
                }
            }
        }
    }

    /// Go's class ranges to Rust class items (surrogates cut out: Rust has
    /// no such `char`, and a path holds none).
    fn ranges(pairs: &[(u32, u32)]) -> String {
        let mut out = String::new();
        for &(lo, hi) in pairs {
            let lo = if (0xd800..=0xdfff).contains(&lo) {
                0xe000
            } else {
                lo
            };
            let hi = if (0xd800..=0xdfff).contains(&hi) {
                0xd7ff
            } else {
                hi
            };
            if lo > hi {
                continue;
            }
            if lo < 0xd800 && hi > 0xdfff {
                out.push_str(&format!(
                    "\\x{{{lo:X}}}-\\x{{D7FF}}\\x{{E000}}-\\x{{{hi:X}}}"
                ));
            } else {
                out.push_str(&format!("\\x{{{lo:X}}}-\\x{{{hi:X}}}"));
            }
        }
        out
    }

    /// Class items for a named group, negated as a nested class.
    fn group(pairs: &[(u32, u32)], negated: bool) -> String {
        if negated {
            format!("[^{}]", ranges(pairs))
        } else {
            ranges(pairs)
        }
    }

    /// Go's POSIX classes (`[:alpha:]`), all ASCII.
    fn posix(name: &str) -> Option<&'static [(u32, u32)]> {
        Some(match name {
            "alnum" => &[(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a)],
            "alpha" => &[(0x41, 0x5a), (0x61, 0x7a)],
            "ascii" => &[(0x0, 0x7f)],
            "blank" => &[(0x9, 0x9), (0x20, 0x20)],
            "cntrl" => &[(0x0, 0x1f), (0x7f, 0x7f)],
            "digit" => &[(0x30, 0x39)],
            "graph" => &[(0x21, 0x7e)],
            "lower" => &[(0x61, 0x7a)],
            "print" => &[(0x20, 0x7e)],
            "punct" => &[(0x21, 0x2f), (0x3a, 0x40), (0x5b, 0x60), (0x7b, 0x7e)],
            "space" => &[(0x9, 0xd), (0x20, 0x20)],
            "upper" => &[(0x41, 0x5a)],
            "word" => &[(0x30, 0x39), (0x41, 0x5a), (0x61, 0x7a), (0x5f, 0x5f)],
            "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
            _ => return None,
        })
    }

    /// Go's Perl classes: `\d`, `\s`, `\w` (ASCII) and their negations.
    fn perl(letter: char) -> Option<String> {
        let (pairs, negated): (&[(u32, u32)], bool) = match letter {
            'd' => (&[(0x30, 0x39)], false),
            'D' => (&[(0x30, 0x39)], true),
            's' => (&[(0x9, 0xa), (0xc, 0xd), (0x20, 0x20)], false),
            'S' => (&[(0x9, 0xa), (0xc, 0xd), (0x20, 0x20)], true),
            'w' => (
                &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
                false,
            ),
            'W' => (
                &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
                true,
            ),
            _ => return None,
        };
        Some(group(pairs, negated))
    }

    /// A Go Unicode class name (one letter: `\pL`) as Rust class items.
    /// Go's `C` leaves out unassigned code points (Rust's `\pC` has them).
    fn unicode(name: &str, negated: bool) -> Option<String> {
        let positive = match name {
            "Any" => ranges(&[(0, 0x10ffff)]),
            "C" => r"\p{Cc}\p{Cf}\p{Co}".to_string(),
            "L" | "M" | "N" | "P" | "S" | "Z" => format!(r"\p{name}"),
            _ => return None,
        };
        Some(if negated {
            format!("[^{positive}]")
        } else {
            positive
        })
    }

    struct Parser<'a> {
        rest: &'a str,
    }

    impl<'a> Parser<'a> {
        fn peek(&self) -> Option<char> {
            self.rest.chars().next()
        }

        fn bump(&mut self) -> Option<char> {
            let c = self.peek()?;
            self.rest = &self.rest[c.len_utf8()..];
            Some(c)
        }

        /// Sequences separated by `|`, up to a `)` or the end.
        fn alternation(&mut self) -> Result<Vec<Vec<Node>>, String> {
            let mut alternatives = Vec::new();
            let mut seq: Vec<Node> = Vec::new();
            let mut last_was_repeat = false;
            while let Some(c) = self.peek() {
                let prev_repeat = std::mem::take(&mut last_was_repeat);
                match c {
                    '|' => {
                        self.bump();
                        alternatives.push(std::mem::take(&mut seq));
                    }
                    ')' => break,
                    '(' => {
                        self.bump();
                        if self.rest.starts_with('?') {
                            // patternmatcher escapes every `(` of the
                            // pattern; only its own `(.*/)?` gets here.
                            return Err("group flags `(?` are not supported".into());
                        }
                        let inner = self.alternation()?;
                        if self.bump() != Some(')') {
                            return Err("missing closing `)`".into());
                        }
                        seq.push(Node::Group(inner));
                    }
                    '*' | '+' | '?' | '{' => {
                        let op = if c == '{' {
                            match self.counted() {
                                Some(op) => op?,
                                None => {
                                    // Not a repetition: `{` is a literal.
                                    self.bump();
                                    seq.push(Node::Lit('{' as u32));
                                    continue;
                                }
                            }
                        } else {
                            self.bump();
                            c.to_string()
                        };
                        let lazy = self.rest.starts_with('?');
                        if lazy {
                            self.bump();
                        }
                        if prev_repeat {
                            return Err(format!("invalid nested repetition operator `{op}`"));
                        }
                        let Some(sub) = seq.pop() else {
                            return Err(format!("missing argument to repetition operator `{op}`"));
                        };
                        seq.push(Node::Repeat(Box::new(sub), op, lazy));
                        last_was_repeat = true;
                    }
                    '[' => {
                        let class = self.class()?;
                        seq.push(Node::Raw(class));
                    }
                    '\\' => self.backslash(&mut seq)?,
                    '.' => {
                        self.bump();
                        seq.push(Node::Raw(r"[^\n]".into()));
                    }
                    '^' => {
                        self.bump();
                        seq.push(Node::Raw(r"\A".into()));
                    }
                    '$' => {
                        self.bump();
                        seq.push(Node::Raw(r"\z".into()));
                    }
                    _ => {
                        self.bump();
                        seq.push(Node::Lit(c as u32));
                    }
                }
            }
            alternatives.push(seq);
            Ok(alternatives)
        }

        /// `{n}`, `{n,}`, `{n,m}` (Go's `parseRepeat`); `None` when the `{`
        /// starts no repetition. Unreachable from patternmatcher, which
        /// escapes `{`, but cheap to get right.
        fn counted(&mut self) -> Option<Result<String, String>> {
            let body = self.rest.strip_prefix('{')?;
            let close = body.find('}')?;
            let inner = &body[..close];
            let (min, max) = match inner.split_once(',') {
                Some((min, max)) => (min, Some(max)),
                None => (inner, None),
            };
            let number = |s: &str| -> Option<u32> {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                s.parse().ok()
            };
            let min = number(min)?;
            let max = match max {
                None => Some(min),
                Some("") => None,
                Some(max) => Some(number(max)?),
            };
            self.rest = &body[close + 1..];
            if min > 1000 || max.is_some_and(|m| m > 1000 || m < min) {
                return Some(Err(format!("invalid repeat count `{{{inner}}}`")));
            }
            Some(Ok(format!("{{{inner}}}")))
        }

        /// A `\` outside a class.
        fn backslash(&mut self, seq: &mut Vec<Node>) -> Result<(), String> {
            let mut ahead = self.rest.chars();
            ahead.next();
            let assertion = match ahead.next() {
                Some('A') => Some(r"\A"),
                Some('z') => Some(r"\z"),
                Some('b') => Some(r"(?-u:\b)"),
                Some('B') => Some(r"(?-u:\B)"),
                Some('C') => return Err(r"invalid escape sequence `\C`".into()),
                Some('Q') => {
                    let quoted = &self.rest[2..];
                    let (literal, rest) = match quoted.find(r"\E") {
                        Some(end) => (&quoted[..end], &quoted[end + 2..]),
                        None => (quoted, ""),
                    };
                    seq.extend(literal.chars().map(|c| Node::Lit(c as u32)));
                    self.rest = rest;
                    return Ok(());
                }
                _ => None,
            };
            if let Some(assertion) = assertion {
                self.rest = &self.rest[2..];
                seq.push(Node::Raw(assertion.into()));
                return Ok(());
            }
            if let Some(items) = self.unicode_class()? {
                seq.push(Node::Raw(format!("[{items}]")));
                return Ok(());
            }
            if let Some(items) = self.perl_class() {
                seq.push(Node::Raw(format!("[{items}]")));
                return Ok(());
            }
            let c = self.escape()?;
            seq.push(Node::Lit(c));
            Ok(())
        }

        /// `\pX` or `\PX` (Go's `parseUnicodeClass`) at the cursor, as Rust
        /// class items; `None` when the cursor is elsewhere.
        fn unicode_class(&mut self) -> Result<Option<String>, String> {
            let negated = if self.rest.starts_with(r"\p") {
                false
            } else if self.rest.starts_with(r"\P") {
                true
            } else {
                return Ok(None);
            };
            let after = &self.rest[2..];
            let mut chars = after.chars();
            let (name, rest) = match chars.next() {
                Some('{') => {
                    // patternmatcher escapes `{`, so only `\pX` gets here.
                    return Err(r"`\p{...}` classes are not supported".into());
                }
                Some(c) => (&after[..c.len_utf8()], chars.as_str()),
                None => ("", ""),
            };
            let (name, negated) = match name.strip_prefix('^') {
                Some(name) => (name, !negated),
                None => (name, negated),
            };
            match unicode(name, negated) {
                Some(items) => {
                    self.rest = rest;
                    Ok(Some(items))
                }
                None => Err(format!("invalid character class range `\\p{name}`")),
            }
        }

        /// `\d`, `\D`, `\s`, `\S`, `\w`, `\W` at the cursor.
        fn perl_class(&mut self) -> Option<String> {
            let mut chars = self.rest.strip_prefix('\\')?.chars();
            let items = perl(chars.next()?)?;
            self.rest = chars.as_str();
            Some(items)
        }

        /// Go's `parseEscape`: one escaped character (the cursor is at `\`).
        fn escape(&mut self) -> Result<u32, String> {
            let after = &self.rest[1..];
            let mut chars = after.chars();
            let Some(c) = chars.next() else {
                return Err("trailing backslash at end of expression".into());
            };
            let mut t = chars.as_str();
            let invalid = |t: &str| {
                let len = after.len() - t.len();
                format!("invalid escape sequence `\\{}`", &after[..len])
            };
            let octal = |t: &str| t.bytes().next().filter(|b| (b'0'..=b'7').contains(b));
            let value = match c {
                c if c.is_ascii() && !c.is_ascii_alphanumeric() => c as u32,
                '1'..='7' if octal(t).is_none() => return Err(invalid(t)),
                '0'..='7' => {
                    let mut r = c as u32 - '0' as u32;
                    for _ in 1..3 {
                        let Some(d) = octal(t) else { break };
                        r = r * 8 + u32::from(d - b'0');
                        t = &t[1..];
                    }
                    r
                }
                'x' => {
                    let mut hex = t.chars();
                    match hex.next() {
                        Some('{') => {
                            let Some(end) = hex.as_str().find('}') else {
                                return Err(invalid(""));
                            };
                            let digits = &hex.as_str()[..end];
                            t = &hex.as_str()[end + 1..];
                            match u32::from_str_radix(digits, 16) {
                                Ok(r) if !digits.starts_with('+') && r <= 0x10ffff => r,
                                _ => return Err(invalid(t)),
                            }
                        }
                        Some(x) => {
                            let y = hex.next();
                            t = hex.as_str();
                            match (x.to_digit(16), y.and_then(|y| y.to_digit(16))) {
                                (Some(x), Some(y)) => x * 16 + y,
                                _ => return Err(invalid(t)),
                            }
                        }
                        None => return Err(invalid(t)),
                    }
                }
                'a' => 0x7,
                'f' => 0xc,
                'n' => 0xa,
                'r' => 0xd,
                't' => 0x9,
                'v' => 0xb,
                _ => return Err(invalid(t)),
            };
            self.rest = t;
            Ok(value)
        }

        /// A `[...]` class (Go's `parseClass`) as a Rust class.
        fn class(&mut self) -> Result<String, String> {
            self.bump(); // `[`
            let negated = self.rest.starts_with('^');
            if negated {
                self.bump();
            }
            let mut items = String::new();
            let mut first = true;
            loop {
                if self.rest.is_empty() {
                    return Err("missing closing `]`".into());
                }
                if self.rest.starts_with(']') && !first {
                    self.bump();
                    break;
                }
                first = false;
                if self.rest.len() > 2 && self.rest.starts_with("[:") {
                    if let Some(end) = self.rest[2..].find(":]") {
                        let name = &self.rest[2..end + 2];
                        let (name, negated) = match name.strip_prefix('^') {
                            Some(name) => (name, true),
                            None => (name, false),
                        };
                        let Some(pairs) = posix(name) else {
                            return Err(format!(
                                "invalid character class range `{}`",
                                &self.rest[..end + 4]
                            ));
                        };
                        items.push_str(&group(pairs, negated));
                        self.rest = &self.rest[end + 4..];
                        continue;
                    }
                }
                if let Some(unicode) = self.unicode_class()? {
                    items.push_str(&unicode);
                    continue;
                }
                if let Some(perl) = self.perl_class() {
                    items.push_str(&perl);
                    continue;
                }
                let lo = self.class_char()?;
                let mut hi = lo;
                let bytes = self.rest.as_bytes();
                if bytes.len() >= 2 && bytes[0] == b'-' && bytes[1] != b']' {
                    self.bump();
                    hi = self.class_char()?;
                    if hi < lo {
                        return Err(
                            "invalid character class range (its end sorts before its start)".into(),
                        );
                    }
                }
                items.push_str(&ranges(&[(lo, hi)]));
            }
            if items.is_empty() {
                items.push_str(NOTHING);
            }
            Ok(if negated {
                format!("[^{items}]")
            } else {
                format!("[{items}]")
            })
        }

        /// One character in a class: escaped or plain.
        fn class_char(&mut self) -> Result<u32, String> {
            if self.rest.starts_with('\\') {
                return self.escape();
            }
            self.bump()
                .map(|c| c as u32)
                .ok_or_else(|| "missing closing `]`".to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ContextEntry, EntryKind};
    use super::*;

    fn ignore(text: &str) -> DockerIgnore {
        DockerIgnore::parse(text, ".dockerignore").expect("valid .dockerignore")
    }

    fn file(path: &str) -> ContextEntry {
        ContextEntry {
            path: path.to_string(),
            kind: EntryKind::File { executable: false },
        }
    }

    fn dir(path: &str) -> ContextEntry {
        ContextEntry {
            path: path.to_string(),
            kind: EntryKind::Dir,
        }
    }

    /// The paths of `entries` that `text` keeps.
    fn kept(text: &str, entries: &[ContextEntry]) -> Vec<String> {
        let ig = ignore(text);
        entries
            .iter()
            .zip(ig.keeps(entries))
            .filter(|(_, keep)| *keep)
            .map(|(e, _)| e.path.clone())
            .collect()
    }

    /// A single pattern against a single path.
    fn m(pattern: &str, path: &str) -> bool {
        ignore(pattern).excludes(path)
    }

    #[test]
    fn read_all_cleans_trims_and_skips_comments() {
        let ig = ignore(
            "\u{feff}# comment\n  # not a comment\n\n \t \n/abs\n./dot/\na//b/../c\n!  /keep \r\n../up\n/\n",
        );
        let patterns: Vec<(bool, &str)> = ig
            .patterns
            .iter()
            .map(|p| (p.exclusion, p.cleaned.as_str()))
            .collect();
        assert_eq!(
            patterns,
            [
                (false, "# not a comment"),
                (false, "abs"),
                (false, "dot"),
                (false, "a/c"),
                (true, "keep"),
                (false, "../up"),
                (false, "/"),
            ]
        );
        assert_eq!(ig.patterns[1].line, 5);
    }

    #[test]
    fn bom_only_on_first_line_and_empty_files() {
        assert!(ignore("").is_empty());
        assert!(ignore("\n\n# x\n   \n").is_empty());
        assert!(DockerIgnore::default().is_empty());
        // A BOM on a later line is part of the pattern.
        let ig = ignore("a\n\u{feff}b");
        assert_eq!(ig.patterns[1].cleaned, "\u{feff}b");
        assert!(!ig.excludes("b"));
    }

    #[test]
    fn go_clean() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("a/", "a"),
            ("a//b", "a/b"),
            ("./a/./b/", "a/b"),
            ("a/../..", ".."),
            ("../../a", "../../a"),
            ("/../a", "/a"),
            ("/", "/"),
            ("a/b/../../..", ".."),
            ("!a/../b", "b"),
            ("!/", "!"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn match_types() {
        let ig = ignore("exact.txt\nfoo/**\n**/bar\n**.md\nd*r\n**\n");
        let kinds: Vec<&str> = ig
            .patterns
            .iter()
            .map(|p| match p.matcher {
                Matcher::Exact => "exact",
                Matcher::Prefix => "prefix",
                Matcher::Suffix => "suffix",
                Matcher::Regex(_) => "regex",
            })
            .collect();
        assert_eq!(
            kinds,
            ["exact", "prefix", "suffix", "suffix", "regex", "suffix"]
        );
    }

    #[test]
    fn stars() {
        assert!(m("*.txt", "a.txt"));
        assert!(m("*.txt", ".txt"));
        assert!(!m("*.txt", "d/a.txt"));
        assert!(m("*", "anything"));
        assert!(m("*/b", "a/b"));
        assert!(!m("*/b", "b"));
        assert!(m("a*b", "ab"));
        assert!(!m("a*b", "a/b"));
        // `**` anywhere.
        assert!(m("**/b", "b"));
        assert!(m("**/b", "x/y/b"));
        assert!(!m("**/b", "xb"));
        // `**b` is a suffix match on bytes: any path ending in `b`.
        assert!(m("**b", "xb"));
        assert!(m("a/**/b", "a/b"));
        assert!(m("a/**/b", "a/x/y/b"));
        assert!(!m("a/**/b", "a/xb"));
        assert!(m("a**b", "ab"));
        assert!(m("a**b", "a/x/b"));
        assert!(!m("a**b", "axb"));
        assert!(m("**.md", "deep/down/README.md"));
        // `foo/**` is a prefix `foo/`: the directory itself is not matched.
        let ig = ignore("foo/**");
        assert!(!ig.excludes("foo"));
        assert!(ig.excludes("foo/x"));
        assert!(m("doc**", "docs/x"));
        assert!(m("**", "x/y"));
        assert!(m("**/a/**", "a/x"));
        assert!(m("**/a/**", "z/a/x"));
        assert!(!m("**/a/**", "z/a"));
    }

    #[test]
    fn question_marks_and_classes() {
        assert!(m("?.txt", "a.txt"));
        assert!(!m("?.txt", "ab.txt"));
        assert!(!m("a?b", "a/b"));
        assert!(m("[ab].txt", "b.txt"));
        assert!(!m("[ab].txt", "c.txt"));
        assert!(m("[a-c]x", "bx"));
        assert!(m("[^a]x", "bx"));
        assert!(!m("[^a]x", "ax"));
        assert!(m("[^a]x", "/x"), "a class may match `/`");
        // `!` does not negate in Go: `[!a]` is `!` or `a`.
        assert!(m("[!a]x", "ax"));
        assert!(m("[!a]x", "!x"));
        assert!(!m("[!a]x", "bx"));
        // Escapes inside classes.
        assert!(m(r"[\]]", "]"));
        assert!(m(r"[\-a]", "-"));
        assert!(m("[é-ü]", "ö"));
    }

    #[test]
    fn go_regexp_meanings_leak_through() {
        // `[[:alpha:]]` is a POSIX class in the Go regexp docker builds.
        assert!(m("[[:alpha:]].txt", "a.txt"));
        assert!(!m("[[:alpha:]].txt", "1.txt"));
        // `\d` is a digit, `\.` a dot, `\*` a star.
        assert!(m(r"\d.txt", "7.txt"));
        assert!(!m(r"\d.txt", "d.txt"));
        assert!(m(r"a\*", "a*"));
        assert!(!m(r"a\*", "ab"));
        // `[a[b]` is three characters in Go (a nested class in Rust).
        assert!(m("[a[b]", "["));
        // `&&` and `~~` are literal in Go classes.
        assert!(m("[a&&b]", "&"));
        assert!(m("[a~~b]", "~"));
        // `\x41` is `A`.
        assert!(m(r"\x41", "A"));
        // `*` inside a class becomes `[^/]*` there: `[*]` is `[[^/]*]`.
        assert!(m("[*]", "]"));
        assert!(m("[*]", "//]"));
        assert!(!m("[*]", "*"));
        // A `^` outside a class is "beginning of text": never in the middle.
        assert!(!m("a^b*", "a^b"));
        // Regex metacharacters of the pattern are literal.
        assert!(m("a+(b)|{c}$*", "a+(b)|{c}$x"));
        // `\Q` quotes up to `\E`, here to the end: the appended `$` too.
        assert!(m(r"\Qa*", "a[^/]*$"));
        assert!(m(r"\Qa*", "a[^/]*$tail"));
        assert!(!m(r"\Qa*", "ab"));
    }

    #[test]
    fn bom_at_pattern_start_is_skipped_by_the_regex_only() {
        // Line 2, so ReadAll keeps the BOM; text/scanner skips it when
        // building the regex, the exact match keeps it.
        let ig = ignore("x\n\u{feff}a*");
        assert!(ig.excludes("ab"));
        let ig = ignore("x\n\u{feff}ab");
        assert!(!ig.excludes("ab"));
    }

    #[test]
    fn exceptions_later_patterns_win() {
        let entries = [file("a.md"), file("b.md"), file("c.txt")];
        assert_eq!(kept("*.md\n!a.md", &entries), ["a.md", "c.txt"]);
        assert_eq!(kept("!a.md\n*.md", &entries), ["c.txt"]);
        assert_eq!(kept("*\n!*.md\nb.md", &entries), ["a.md"]);
    }

    #[test]
    fn excluded_directories_and_exceptions() {
        let entries = [
            dir("build"),
            file("build/keep.me"),
            file("build/out.o"),
            dir("build/sub"),
            file("build/sub/deep.o"),
            dir("src"),
            file("src/main.rs"),
        ];
        assert_eq!(kept("build", &entries), ["src", "src/main.rs"]);
        // The exception opens `build` but the directory entry is not sent.
        assert_eq!(
            kept("build\n!build/keep.me", &entries),
            ["build/keep.me", "src", "src/main.rs"]
        );
        // `!build/*/deep.o` opens `build`, not `build/sub`.
        assert_eq!(
            kept("build\n!build/*/deep.o", &entries),
            ["src", "src/main.rs"]
        );
        // `!**/deep.o` opens nothing.
        assert_eq!(kept("build\n!**/deep.o", &entries), ["src", "src/main.rs"]);
        // But a file excluded by itself comes back anywhere.
        assert_eq!(
            kept("**/*.o\n!**/deep.o", &entries),
            [
                "build",
                "build/keep.me",
                "build/sub",
                "build/sub/deep.o",
                "src",
                "src/main.rs"
            ]
        );
        // Exception of an exception.
        assert_eq!(
            kept("build\n!build/sub\nbuild/sub/deep.o", &entries),
            ["build/sub", "src", "src/main.rs"]
        );
        // Listing order does not matter, ancestors need not be listed.
        let ig = ignore("build\n!build/keep.me");
        assert_eq!(
            ig.keeps(&[
                file("src/main.rs"),
                file("build/keep.me"),
                file("build/out.o")
            ]),
            [true, true, false]
        );
        assert_eq!(ig.keeps(&[file(""), dir(".")]), [false, false]);
    }

    #[test]
    fn parent_results_not_parent_matches() {
        // MatchesUsingParentResults: `!app` was skipped at `app` (not yet
        // excluded), so `app/tests` does not inherit it.
        let entries = [
            dir("app"),
            dir("app/tests"),
            file("app/tests/t.py"),
            file("app/main.py"),
        ];
        let ig = ignore("app/tests\n!app");
        assert_eq!(ig.keeps(&entries), [true, false, false, true]);
        // MatchesOrParentMatches would call it not excluded.
        assert!(!ig.excludes("app/tests"));
    }

    #[test]
    fn keep_build_files_like_the_cli() {
        let mut ig = ignore("*");
        ig.keep_build_files("Dockerfile");
        let entries = [file(".dockerignore"), file("Dockerfile"), file("other")];
        assert_eq!(ig.keeps(&entries), [true, true, false]);

        let mut ig = ignore("docker");
        ig.keep_build_files("./docker/api.Dockerfile");
        let entries = [
            dir("docker"),
            file("docker/api.Dockerfile"),
            file("docker/x"),
        ];
        assert_eq!(ig.keeps(&entries), [false, true, false]);

        // Nothing excluded: nothing appended.
        let mut ig = ignore("other");
        ig.keep_build_files("Dockerfile");
        assert_eq!(ig.patterns.len(), 1);
        assert!(!ig.exclusions);

        // The legacy `Matches` checks only the parent prefix as deep as the
        // pattern: `**/api` (two components) is tried on `ci/images`, so
        // docker sends no `ci/images/api/Dockerfile` at all.
        let mut ig = ignore("a");
        ig.keep_build_files("a/b/Dockerfile");
        assert_eq!(ig.patterns.len(), 2);
        let mut ig = ignore("**/api");
        ig.keep_build_files("ci/images/api/Dockerfile");
        assert_eq!(ig.patterns.len(), 1);
        assert_eq!(ig.keeps(&[file("ci/images/api/Dockerfile")]), [false]);

        // A Dockerfile name that is no valid pattern is kept exactly.
        let mut ig = ignore("*");
        ig.keep_build_files("Docker[file");
        assert_eq!(
            ig.keeps(&[file("Docker[file"), file("Dockerf")]),
            [true, false]
        );
    }

    #[test]
    fn errors_name_file_line_and_pattern() {
        let err = DockerIgnore::parse("ok\n# c\n\n  [abc  \n", "apps/api/.dockerignore")
            .expect_err("unclosed class");
        assert_eq!(err.kind(), "bad_pattern");
        let text = err.to_string();
        assert!(
            text.starts_with("apps/api/.dockerignore:4: syntax error in pattern `[abc`"),
            "{text}"
        );

        for bad in ["[", "[]", "[a-]", "[-a]", "a[", "x\\", "[^]", "*[", "[a\\"] {
            let err = DockerIgnore::parse(bad, "f").expect_err(bad);
            assert!(
                matches!(err, IgnoreError::BadPattern { .. }),
                "{bad}: {err}"
            );
        }
        for bad in [
            r"\q",
            r"a\1",
            r"[z-a]x",
            r"[[:foo:]]",
            r"\pX",
            r"\C",
            r"[\b]",
            r"\x4",
            r"\8",
        ] {
            let err = DockerIgnore::parse(bad, "f").expect_err(bad);
            assert!(
                err.to_string().contains("Go's regexp rejects"),
                "{bad}: {err}"
            );
        }
        // Not errors: valid for filepath.Match and for Go's regexp.
        for good in ["]", "a]b", r"[\-]", r"[a\-z]"] {
            assert!(DockerIgnore::parse(good, "f").is_ok(), "{good}");
        }
        assert!(m("a]b", "a]b"));
        assert!(DockerIgnore::parse(r"\x41\pL\d\s\w\b\A\z\Q.\E", "f").is_ok());

        for lone in ["!", "  !  ", "!/"] {
            let err = DockerIgnore::parse(&format!("a\n{lone}"), "f").expect_err(lone);
            assert!(
                matches!(err, IgnoreError::LoneExclamation { line: 2, .. }),
                "{lone}: {err}"
            );
        }

        let long = "x".repeat(MAX_LINE);
        let err = DockerIgnore::parse(&format!("a\n{long}\n"), "f").expect_err("too long");
        assert!(
            matches!(err, IgnoreError::LineTooLong { line: 2, .. }),
            "{err}"
        );
        assert!(DockerIgnore::parse(&"x".repeat(MAX_LINE - 1), "f").is_ok());
    }

    #[test]
    fn go_regex_translation() {
        for (go, rust) in [
            (r"^a[^/]*$", r"\Aa[^\x{2F}-\x{2F}]*\z"),
            (r"^(.*/)?b$", r"\A(?:[^\n]*\x{2F})?b\z"),
            (r"^[[:digit:]x]$", r"\A[\x{30}-\x{39}\x{78}-\x{78}]\z"),
            (r"^\d$", r"\A[\x{30}-\x{39}]\z"),
        ] {
            let got = goregex::translate(go).expect(go);
            // Compare by meaning where the exact text may differ.
            let a = Regex::new(&got).expect("rust regex");
            let b = Regex::new(rust).expect("expected regex");
            for probe in ["a", "ab", "a/b", "b", "x/b", "5", "x", ""] {
                assert_eq!(
                    a.is_match(probe),
                    b.is_match(probe),
                    "{go} on {probe:?}: {got}"
                );
            }
        }
        assert!(goregex::translate("^a**$").is_err());
        assert!(goregex::translate("*a").is_err());
        assert!(goregex::translate("(*a)").is_err());
        assert!(goregex::translate("^*").is_ok(), "Go repeats an assertion");
        assert!(goregex::translate("(a").is_err());
        assert!(goregex::translate("a)").is_err());
        assert!(goregex::translate(r"[\x{D800}]").is_ok());
    }
}
