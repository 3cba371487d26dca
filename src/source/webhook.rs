//! Push webhooks from GitHub, Gitea/Forgejo and GitLab: verification and
//! parsing, pure (headers and body in, a verdict out), plus the small
//! bounded state the endpoint keeps (recent deliveries, per-address rate).
//!
//! A webhook only ever *triggers a fetch*; the revision deployed is always
//! what plumb then reads from git itself, never a SHA from the payload. So a
//! forged push could at worst cause an extra fetch, and signatures still
//! gate even that.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Which forge sent the request, from its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    /// `X-GitHub-Event` + `X-Hub-Signature-256: sha256=HEX`.
    GitHub,
    /// `X-Gitea-Event`/`X-Forgejo-Event` + `X-Gitea-Signature`/`X-Forgejo-Signature: HEX`.
    Gitea,
    /// `X-Gitlab-Event` + `X-Gitlab-Token: SECRET`.
    GitLab,
}

/// Why a webhook request was refused. Each maps to an HTTP status and a
/// metric label; none says anything about the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// No forge event header: not a webhook plumb understands.
    #[error("not a GitHub, Gitea/Forgejo or GitLab webhook (no X-GitHub-Event, X-Gitea-Event, X-Forgejo-Event or X-Gitlab-Event header)")]
    UnknownForge,
    /// The signature or token header is missing.
    #[error("{0} header missing (hint: set the webhook secret in the forge to the content of source.webhook_secret_file)")]
    MissingSignature(&'static str),
    /// The signature or token does not match the secret.
    #[error("signature does not match (hint: the forge's webhook secret must equal source.webhook_secret_file)")]
    BadSignature,
    /// Signed correctly, but the body is not a push event payload.
    #[error("payload is not a push event: {0}")]
    BadPayload(String),
}

impl WebhookError {
    /// The metric label for this refusal.
    pub fn kind(&self) -> &'static str {
        match self {
            WebhookError::UnknownForge | WebhookError::BadPayload(_) => "bad_request",
            WebhookError::MissingSignature(_) | WebhookError::BadSignature => "unauthorized",
        }
    }
}

/// A verified webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A push to `git_ref` (e.g. `refs/heads/main`).
    Push {
        /// The forge.
        forge: Forge,
        /// The full ref pushed to.
        git_ref: String,
        /// The forge's delivery id, for replay detection.
        delivery: Option<String>,
    },
    /// A signed event that is not a push (GitHub's `ping` on hook creation,
    /// tag events, ...): acknowledged, nothing to do.
    OtherEvent {
        /// The event name as the forge sent it.
        event: String,
        /// The forge's delivery id.
        delivery: Option<String>,
    },
}

impl Verdict {
    /// The delivery id, if the forge sent one.
    pub fn delivery(&self) -> Option<&str> {
        match self {
            Verdict::Push { delivery, .. } | Verdict::OtherEvent { delivery, .. } => {
                delivery.as_deref()
            }
        }
    }
}

/// Looks a header up case-insensitively.
pub type HeaderLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Verifies a webhook request against `secret` and parses it.
///
/// # Errors
/// [`WebhookError`]; the signature is checked before the body is parsed.
pub fn verify(
    header: HeaderLookup<'_>,
    body: &[u8],
    secret: &[u8],
) -> Result<Verdict, WebhookError> {
    let (forge, event, delivery) = if let Some(event) = header("x-github-event") {
        (Forge::GitHub, event, header("x-github-delivery"))
    } else if let Some(event) = header("x-forgejo-event").or_else(|| header("x-gitea-event")) {
        (
            Forge::Gitea,
            event,
            header("x-forgejo-delivery").or_else(|| header("x-gitea-delivery")),
        )
    } else if let Some(event) = header("x-gitlab-event") {
        (
            Forge::GitLab,
            event,
            header("x-gitlab-event-uuid").or_else(|| header("idempotency-key")),
        )
    } else {
        return Err(WebhookError::UnknownForge);
    };

    match forge {
        Forge::GitHub => {
            let sig = header("x-hub-signature-256")
                .ok_or(WebhookError::MissingSignature("X-Hub-Signature-256"))?;
            let hex_sig = sig
                .strip_prefix("sha256=")
                .ok_or(WebhookError::BadSignature)?;
            verify_hmac(secret, body, hex_sig)?;
        }
        Forge::Gitea => {
            let sig = header("x-forgejo-signature")
                .or_else(|| header("x-gitea-signature"))
                .ok_or(WebhookError::MissingSignature("X-Gitea-Signature"))?;
            verify_hmac(secret, body, sig.trim_start_matches("sha256="))?;
        }
        Forge::GitLab => {
            let token =
                header("x-gitlab-token").ok_or(WebhookError::MissingSignature("X-Gitlab-Token"))?;
            let secret = trim_secret(secret);
            if !bool::from(token.as_bytes().ct_eq(secret)) {
                return Err(WebhookError::BadSignature);
            }
        }
    }

    let is_push = match forge {
        Forge::GitHub | Forge::Gitea => event == "push",
        Forge::GitLab => event == "Push Hook",
    };
    if !is_push {
        return Ok(Verdict::OtherEvent { event, delivery });
    }
    let payload: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| WebhookError::BadPayload(e.to_string()))?;
    let git_ref = payload["ref"]
        .as_str()
        .ok_or_else(|| WebhookError::BadPayload("no `ref` field".to_string()))?
        .to_string();
    Ok(Verdict::Push {
        forge,
        git_ref,
        delivery,
    })
}

/// Secret files usually end with a newline the forge never saw.
fn trim_secret(secret: &[u8]) -> &[u8] {
    let end = secret
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map(|i| i + 1)
        .unwrap_or(0);
    &secret[..end]
}

fn verify_hmac(secret: &[u8], body: &[u8], hex_sig: &str) -> Result<(), WebhookError> {
    let expected = hex::decode(hex_sig.trim()).map_err(|_| WebhookError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(trim_secret(secret))
        .map_err(|_| WebhookError::BadSignature)?;
    mac.update(body);
    // verify_slice compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature)
}

/// The HMAC-SHA256 of `body` under `secret`, hex: what a forge sends.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(trim_secret(secret))
        .expect("HMAC accepts keys of any length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a pushed ref is the followed branch. `followed` is a branch name
/// (`main`) as resolved by the source; `None` while it is not known yet
/// (then every push triggers a fetch, which is cheap when nothing changed).
pub fn is_followed(git_ref: &str, followed: Option<&str>) -> bool {
    match followed {
        None => true,
        Some(branch) => git_ref == format!("refs/heads/{branch}"),
    }
}

/// Remembers recent delivery ids so a replayed request is refused. Bounded:
/// the oldest ids are forgotten first.
#[derive(Debug)]
pub struct ReplayGuard {
    order: VecDeque<String>,
    seen: HashSet<String>,
    capacity: usize,
}

impl ReplayGuard {
    /// Keeps the last `capacity` delivery ids.
    pub fn new(capacity: usize) -> ReplayGuard {
        ReplayGuard {
            order: VecDeque::with_capacity(capacity),
            seen: HashSet::with_capacity(capacity),
            capacity,
        }
    }

    /// Records `delivery`; false when it was seen before (a replay).
    pub fn first_time(&mut self, delivery: &str) -> bool {
        if self.seen.contains(delivery) {
            return false;
        }
        if self.order.len() == self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.seen.remove(&oldest);
            }
        }
        self.order.push_back(delivery.to_string());
        self.seen.insert(delivery.to_string());
        true
    }
}

/// A token bucket per source address: `burst` requests at once, refilled at
/// `per_second`. Bounded: past `max_addresses` the map is cleared, which
/// only ever lets a request through that would otherwise wait.
#[derive(Debug)]
pub struct RateLimiter {
    buckets: HashMap<IpAddr, (f64, Instant)>,
    burst: f64,
    per_second: f64,
    max_addresses: usize,
}

impl RateLimiter {
    /// A limiter allowing `burst` at once and `per_second` sustained.
    pub fn new(burst: u32, per_second: f64) -> RateLimiter {
        RateLimiter {
            buckets: HashMap::new(),
            burst: f64::from(burst),
            per_second,
            max_addresses: 4096,
        }
    }

    /// Takes one token for `addr` at time `now`; false when none is left.
    pub fn allow(&mut self, addr: IpAddr, now: Instant) -> bool {
        if self.buckets.len() >= self.max_addresses && !self.buckets.contains_key(&addr) {
            self.buckets.clear();
        }
        let (burst, rate) = (self.burst, self.per_second);
        let (tokens, last) = self.buckets.entry(addr).or_insert((burst, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * rate).min(burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Default limits for `POST /hooks/git`: 10 at once, one every 2 s after.
pub fn default_rate_limiter() -> RateLimiter {
    RateLimiter::new(10, 0.5)
}

/// How long a refused address waits, for the Retry-After header.
pub const RETRY_AFTER: Duration = Duration::from_secs(2);

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"It's a Secret to Everybody\n";
    const BODY: &[u8] = br#"{"ref":"refs/heads/main","after":"abc"}"#;

    fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn github_example_from_its_documentation_verifies() {
        // GitHub's documented test vector for X-Hub-Signature-256.
        let sig = sign(b"It's a Secret to Everybody", b"Hello, World!");
        assert_eq!(
            sig,
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn github_push_with_a_valid_signature() {
        let sig = format!("sha256={}", sign(SECRET, BODY));
        let h = headers(&[
            ("X-GitHub-Event", "push"),
            ("X-GitHub-Delivery", "d1"),
            ("X-Hub-Signature-256", &sig),
        ]);
        let verdict = verify(&h, BODY, SECRET).unwrap();
        assert_eq!(
            verdict,
            Verdict::Push {
                forge: Forge::GitHub,
                git_ref: "refs/heads/main".into(),
                delivery: Some("d1".into())
            }
        );
    }

    #[test]
    fn github_push_with_a_wrong_secret_or_body_is_refused() {
        let sig = format!("sha256={}", sign(b"other secret", BODY));
        let h = headers(&[("X-GitHub-Event", "push"), ("X-Hub-Signature-256", &sig)]);
        assert_eq!(verify(&h, BODY, SECRET), Err(WebhookError::BadSignature));

        let sig = format!("sha256={}", sign(SECRET, BODY));
        let h = headers(&[("X-GitHub-Event", "push"), ("X-Hub-Signature-256", &sig)]);
        let tampered = br#"{"ref":"refs/heads/evil","after":"abc"}"#;
        assert_eq!(
            verify(&h, tampered, SECRET),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn missing_or_malformed_signatures_are_refused() {
        let h = headers(&[("X-GitHub-Event", "push")]);
        assert!(matches!(
            verify(&h, BODY, SECRET),
            Err(WebhookError::MissingSignature(_))
        ));
        let h = headers(&[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", "sha1=00"),
        ]);
        assert_eq!(verify(&h, BODY, SECRET), Err(WebhookError::BadSignature));
        let h = headers(&[
            ("X-GitHub-Event", "push"),
            ("X-Hub-Signature-256", "sha256=zz"),
        ]);
        assert_eq!(verify(&h, BODY, SECRET), Err(WebhookError::BadSignature));
    }

    #[test]
    fn gitea_and_forgejo_signatures() {
        let sig = sign(SECRET, BODY);
        for (event, sig_header) in [
            ("X-Gitea-Event", "X-Gitea-Signature"),
            ("X-Forgejo-Event", "X-Forgejo-Signature"),
        ] {
            let h = headers(&[(event, "push"), (sig_header, &sig)]);
            assert!(matches!(
                verify(&h, BODY, SECRET),
                Ok(Verdict::Push {
                    forge: Forge::Gitea,
                    ..
                })
            ));
            let h = headers(&[(event, "push"), (sig_header, &sign(b"x", BODY))]);
            assert_eq!(verify(&h, BODY, SECRET), Err(WebhookError::BadSignature));
        }
    }

    #[test]
    fn gitlab_token() {
        let h = headers(&[
            ("X-Gitlab-Event", "Push Hook"),
            ("X-Gitlab-Token", "It's a Secret to Everybody"),
        ]);
        assert!(matches!(
            verify(&h, BODY, SECRET),
            Ok(Verdict::Push {
                forge: Forge::GitLab,
                ..
            })
        ));
        let h = headers(&[("X-Gitlab-Event", "Push Hook"), ("X-Gitlab-Token", "guess")]);
        assert_eq!(verify(&h, BODY, SECRET), Err(WebhookError::BadSignature));
        let h = headers(&[("X-Gitlab-Event", "Push Hook")]);
        assert!(matches!(
            verify(&h, BODY, SECRET),
            Err(WebhookError::MissingSignature("X-Gitlab-Token"))
        ));
    }

    #[test]
    fn signed_non_push_events_are_acknowledged() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let sig = format!("sha256={}", sign(SECRET, body));
        let h = headers(&[("X-GitHub-Event", "ping"), ("X-Hub-Signature-256", &sig)]);
        assert!(matches!(
            verify(&h, body, SECRET),
            Ok(Verdict::OtherEvent { event, .. }) if event == "ping"
        ));
    }

    #[test]
    fn signed_garbage_is_a_bad_payload_not_a_panic() {
        let body = b"not json";
        let sig = format!("sha256={}", sign(SECRET, body));
        let h = headers(&[("X-GitHub-Event", "push"), ("X-Hub-Signature-256", &sig)]);
        assert!(matches!(
            verify(&h, body, SECRET),
            Err(WebhookError::BadPayload(_))
        ));
    }

    #[test]
    fn unknown_forge() {
        let h = headers(&[("Content-Type", "application/json")]);
        assert_eq!(verify(&h, BODY, SECRET), Err(WebhookError::UnknownForge));
    }

    #[test]
    fn followed_branch_matching() {
        assert!(is_followed("refs/heads/main", Some("main")));
        assert!(!is_followed("refs/heads/feature", Some("main")));
        assert!(!is_followed("refs/tags/main", Some("main")));
        assert!(is_followed("refs/heads/anything", None));
    }

    #[test]
    fn replay_guard_refuses_repeats_and_forgets_the_oldest() {
        let mut guard = ReplayGuard::new(2);
        assert!(guard.first_time("a"));
        assert!(!guard.first_time("a"));
        assert!(guard.first_time("b"));
        assert!(guard.first_time("c"));
        assert!(guard.first_time("a"), "a was forgotten");
        assert!(!guard.first_time("c"));
    }

    #[test]
    fn rate_limiter_allows_a_burst_then_refills() {
        let mut limiter = RateLimiter::new(3, 1.0);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let other: IpAddr = "127.0.0.2".parse().unwrap();
        let t0 = Instant::now();
        assert!((0..3).all(|_| limiter.allow(ip, t0)));
        assert!(!limiter.allow(ip, t0));
        assert!(limiter.allow(other, t0), "limits are per address");
        assert!(!limiter.allow(ip, t0 + Duration::from_millis(500)));
        assert!(limiter.allow(ip, t0 + Duration::from_millis(1600)));
    }
}
