//! The environment a command sees: the sidecar's own, minus anything that looks like a secret (by
//! name, by value shape, or because it hands out a credential-bearing socket or helper), plus the
//! settings that keep programs from waiting on a pager, plus the request's changes. The request may
//! still set any variable explicitly: that is the model asking, in the open. The patterns are
//! documented, with the session store's redaction list, in docs/secrets.md.
use std::collections::BTreeMap;
use std::ffi::OsString;

/// Names containing one of these (any case) are treated as secrets and dropped.
const SECRET_MARKERS: [&str; 6] = ["KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "CREDENTIAL"];

/// Name words (split on `_`, `-`, `.`) that mark a secret when the value also looks like one: a long,
/// high-entropy string (`GH_PAT=...`, `NPM_AUTH=...`), not `NPM_CONFIG_AUTH_TYPE=legacy`.
const SUSPECT_WORDS: [&str; 6] = ["PAT", "AUTH", "OAUTH", "PASS", "PW", "CRED"];

/// Variables that hand a command a way to act with the person's credentials (agents, brokers,
/// helpers that answer credential prompts, the session bus with its keyring): not passed by default.
const CAPABILITY_NAMES: [&str; 14] = [
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "SSH_ASKPASS",
    "GPG_AGENT_INFO",
    "GIT_ASKPASS",
    "DBUS_SESSION_BUS_ADDRESS",
    "DOCKER_HOST",
    "KRB5CCNAME",
    "VSCODE_GIT_IPC_HANDLE",
    "VSCODE_GIT_ASKPASS_MAIN",
    "VSCODE_GIT_ASKPASS_NODE",
    "VSCODE_GIT_ASKPASS_EXTRA_ARGS",
    "VSCODE_IPC_HOOK",
    "VSCODE_IPC_HOOK_CLI",
];

pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| upper.contains(m))
}

/// Whether the name points a command at a credential agent, broker or helper.
pub fn is_capability(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    CAPABILITY_NAMES.contains(&upper.as_str())
}

fn has_suspect_word(name: &str) -> bool {
    name.to_ascii_uppercase()
        .split(['_', '-', '.'])
        .any(|w| SUSPECT_WORDS.contains(&w))
}

fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-'
}

/// A known token prefix at a word start, followed by at least `min` token characters.
fn has_prefixed_token(v: &[u8], prefix: &[u8], min: usize, body: fn(u8) -> bool) -> bool {
    let mut from = 0;
    while let Some(pos) = find(&v[from..], prefix).map(|p| p + from) {
        let at_word_start = pos == 0 || !token_char(v[pos - 1]);
        let run = v[pos + prefix.len()..]
            .iter()
            .take_while(|c| body(**c))
            .count();
        if at_word_start && run >= min {
            return true;
        }
        from = pos + 1;
    }
    false
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

/// `scheme://user:password@host`: a URL that carries a password.
fn has_url_password(v: &str) -> bool {
    let mut rest = v;
    while let Some(i) = rest.find("://") {
        let after = &rest[i + 3..];
        let authority_end = after
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .unwrap_or(after.len());
        let authority = &after[..authority_end];
        if let Some(at) = authority.rfind('@') {
            if let Some((_, pass)) = authority[..at].split_once(':') {
                if !pass.is_empty() {
                    return true;
                }
            }
        }
        rest = after;
    }
    false
}

/// Whether a value has the shape of a credential, whatever its name.
pub fn value_looks_secret(value: &str) -> bool {
    let v = value.as_bytes();
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let upper_digit = |c: u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let b64url = |c: u8| token_char(c);
    let github = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]
        .iter()
        .any(|p| has_prefixed_token(v, p.as_bytes(), 30, alnum));
    let slack = [
        "xoxa-", "xoxb-", "xoxe-", "xoxo-", "xoxp-", "xoxr-", "xoxs-",
    ]
    .iter()
    .any(|p| has_prefixed_token(v, p.as_bytes(), 10, token_char));
    let aws = ["AKIA", "ASIA"]
        .iter()
        .any(|p| has_prefixed_token(v, p.as_bytes(), 16, upper_digit));
    github
        || slack
        || aws
        || has_prefixed_token(v, b"github_pat_", 20, token_char)
        || has_prefixed_token(v, b"glpat-", 20, token_char)
        || has_prefixed_token(v, b"hf_", 30, alnum)
        || has_prefixed_token(v, b"sk-", 20, token_char)
        || looks_like_jwt(v, b64url)
        || (value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----"))
        || has_url_password(value)
}

fn looks_like_jwt(v: &[u8], b64url: impl Fn(u8) -> bool) -> bool {
    let mut from = 0;
    while let Some(pos) = find(&v[from..], b"eyJ").map(|p| p + from) {
        let parts: Vec<usize> = v[pos..]
            .split(|c| *c == b'.')
            .take(3)
            .map(|p| p.iter().take_while(|c| b64url(**c)).count())
            .collect();
        if parts.len() == 3
            && parts.iter().all(|n| *n >= 8)
            && v[pos..].get(parts[0] + 1..parts[0] + 4) == Some(b"eyJ")
        {
            return true;
        }
        from = pos + 1;
    }
    false
}

/// A long random-looking string: at least 16 characters, no spaces, several character classes and
/// a high per-character entropy (a path, a word or a number does not qualify).
pub fn high_entropy(value: &str) -> bool {
    let v = value.as_bytes();
    if v.len() < 16 || v.iter().any(|c| c.is_ascii_whitespace()) || value.starts_with('/') {
        return false;
    }
    let classes = [
        v.iter().any(|c| c.is_ascii_lowercase()),
        v.iter().any(|c| c.is_ascii_uppercase()),
        v.iter().any(|c| c.is_ascii_digit()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < 2 {
        return false;
    }
    let mut counts = [0usize; 256];
    for c in v {
        counts[*c as usize] += 1;
    }
    let n = v.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 3.5
}

/// Why an inherited variable is not passed to a command, or None when it is.
pub fn withheld(name: &str, value: &str) -> Option<&'static str> {
    if looks_secret(name) {
        Some("secret-looking name")
    } else if is_capability(name) {
        Some("credential agent or helper")
    } else if value_looks_secret(value) {
        Some("credential-shaped value")
    } else if has_suspect_word(name) && high_entropy(value) {
        Some("credential-like name with a random-looking value")
    } else {
        None
    }
}

/// The environment for a command from `inherited` (the sidecar uses `build_own`; the tests give
/// their own variables).
#[cfg(test)]
pub fn build(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    tty: bool,
    overrides: Option<&BTreeMap<String, Option<String>>>,
) -> BTreeMap<OsString, OsString> {
    finish(kept(inherited), tty, overrides)
}

/// `build` from the sidecar's own environment, whose filtering is done once: the sidecar never
/// changes its environment, and checking every variable for secrets took about a tenth of a
/// millisecond per command (allocations for each name and value).
pub fn build_own(
    tty: bool,
    overrides: Option<&BTreeMap<String, Option<String>>>,
) -> BTreeMap<OsString, OsString> {
    static OWN: std::sync::OnceLock<BTreeMap<OsString, OsString>> = std::sync::OnceLock::new();
    let own = OWN.get_or_init(|| kept(std::env::vars_os()));
    finish(own.clone(), tty, overrides)
}

/// The inherited variables that are not withheld.
fn kept(inherited: impl IntoIterator<Item = (OsString, OsString)>) -> BTreeMap<OsString, OsString> {
    inherited
        .into_iter()
        .filter(|(k, v)| withheld(&k.to_string_lossy(), &v.to_string_lossy()).is_none())
        .collect()
}

/// What every command gets on top of what it inherits, then the request's changes.
fn finish(
    mut env: BTreeMap<OsString, OsString>,
    tty: bool,
    overrides: Option<&BTreeMap<String, Option<String>>>,
) -> BTreeMap<OsString, OsString> {
    env.insert("PAGER".into(), "cat".into());
    env.insert("GIT_PAGER".into(), "cat".into());
    // A PTY understands colours and cursor movement; pipes do not.
    env.insert(
        "TERM".into(),
        if tty { "xterm-256color" } else { "dumb" }.into(),
    );
    if let Some(overrides) = overrides {
        for (k, v) in overrides {
            match v {
                Some(v) => env.insert(k.into(), v.into()),
                None => env.remove(&OsString::from(k)),
            };
        }
    }
    if let Some(path) = env.get_mut(&OsString::from("PATH")) {
        *path = absolute_path_entries(path);
    }
    env
}

/// PATH without its empty and relative entries: those name the command's working directory (an empty
/// entry means `.`), so a program the model wrote there (`./ls`) would run under a trusted name.
pub fn absolute_path_entries(path: &OsString) -> OsString {
    let kept: Vec<std::path::PathBuf> = std::env::split_paths(path)
        .filter(|p| p.is_absolute())
        .collect();
    std::env::join_paths(kept).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn the_sidecar_s_own_environment_filtered_once_is_what_build_makes_of_it() {
        let overrides: BTreeMap<String, Option<String>> = [
            ("EXTRA".to_string(), Some("1".to_string())),
            ("PATH".to_string(), Some(".:/bin".to_string())),
            ("HOME".to_string(), None),
        ]
        .into_iter()
        .collect();
        for tty in [false, true] {
            for o in [None, Some(&overrides)] {
                assert_eq!(build_own(tty, o), build(std::env::vars_os(), tty, o));
            }
        }
        // The cached copy is not changed by what a command asked for.
        assert_eq!(
            build_own(false, None),
            build(std::env::vars_os(), false, None)
        );
    }

    #[test]
    fn path_keeps_only_absolute_entries() {
        let env = build(
            vars(&[(
                "PATH",
                ":.:bin:/usr/local/bin::./node_modules/.bin:/usr/bin:",
            )]),
            false,
            None,
        );
        assert_eq!(env[&OsString::from("PATH")], "/usr/local/bin:/usr/bin");
        let mut ov = BTreeMap::new();
        ov.insert("PATH".to_string(), Some(".:/opt/x/bin".to_string()));
        let env = build(vars(&[("PATH", "/bin")]), false, Some(&ov));
        assert_eq!(env[&OsString::from("PATH")], "/opt/x/bin");
    }

    #[test]
    fn secrets_are_dropped_unless_passed_explicitly() {
        let base = vars(&[
            ("OPENAI_API_KEY", "sk-1"),
            ("github_token", "t"),
            ("DB_PASSWORD", "p"),
            ("MY_SECRET_THING", "s"),
            ("PATH", "/bin"),
        ]);
        let mut ov = BTreeMap::new();
        ov.insert("DB_PASSWORD".to_string(), Some("given".to_string()));
        let env = build(base, true, Some(&ov));
        assert!(!env.contains_key(&OsString::from("OPENAI_API_KEY")));
        assert!(!env.contains_key(&OsString::from("github_token")));
        assert!(!env.contains_key(&OsString::from("MY_SECRET_THING")));
        assert_eq!(env[&OsString::from("DB_PASSWORD")], "given");
        assert_eq!(env[&OsString::from("PATH")], "/bin");
        assert_eq!(env[&OsString::from("PAGER")], "cat");
        assert_eq!(env[&OsString::from("TERM")], "xterm-256color");
    }

    #[test]
    fn null_removes_and_pipes_get_a_dumb_terminal() {
        let mut ov = BTreeMap::new();
        ov.insert("PATH".to_string(), None);
        let env = build(vars(&[("PATH", "/bin")]), false, Some(&ov));
        assert!(!env.contains_key(&OsString::from("PATH")));
        assert_eq!(env[&OsString::from("TERM")], "dumb");
    }

    #[test]
    fn values_shaped_like_credentials_are_dropped_whatever_the_name() {
        let dropped = [
            ("GH_PAT", "ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            (
                "UPSTREAM",
                "https://x:ghs_0123456789abcdefghijABCDEFGHIJ012345@github.com/a/b",
            ),
            (
                "FINE",
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            ),
            (
                "DATABASE_URL",
                "postgres://app:hunter2@db.internal:5432/app",
            ),
            ("REDIS_URL", "redis://:onlypass@cache:6379/0"),
            ("AWS_ID", "AKIAIOSFODNN7EXAMPLE"),
            ("SLACK", "xoxb-123456789012-1234567890123-AbCdEfGhIjKl"),
            ("LLM", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz"),
            ("GITLAB", "glpat-AbCdEfGhIjKlMnOpQrSt"),
            (
                "SESSION",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw",
            ),
            (
                "DEPLOY",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----",
            ),
            ("HF_HUB_CREDENTIAL", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz"),
            ("NPM_AUTH", "Zm9vYmFyOmJhejEyMzQ1Njc4OTBxd2VydHk="),
            ("ARTIFACTORY_PAT", "cmVmdGtuOjAxOjE3MzU2ODk2MDA6a2V5"),
            ("SSH_AUTH_SOCK", "/tmp/ssh-XXXX/agent.123"),
            ("GPG_AGENT_INFO", "/run/user/0/gnupg/S.gpg-agent:0:1"),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus"),
            ("DOCKER_HOST", "tcp://10.0.0.5:2375"),
            ("VSCODE_GIT_IPC_HANDLE", "/run/user/0/vscode-git-abc.sock"),
        ];
        let kept = [
            ("PATH", "/usr/local/bin:/usr/bin:/bin"),
            ("HOME", "/root"),
            ("GIT_AUTHOR_NAME", "Ada Lovelace"),
            ("NPM_CONFIG_AUTH_TYPE", "legacy"),
            ("PWD", "/work/repo"),
            ("XAUTHORITY", "/home/u/.Xauthority"),
            ("UPSTREAM_URL", "https://github.com/acme/app.git"),
            ("PROXY", "http://user@proxy:3128"),
            ("LS_COLORS", "rs=0:di=01;34:ln=01;36:mh=00:pi=40;33"),
            ("BUILD_ID", "20260101T000000Z-deadbeef"),
            ("LANG", "C.UTF-8"),
            ("GNUPGHOME", "/root/.gnupg"),
        ];
        let mut all: Vec<(&str, &str)> = dropped.to_vec();
        all.extend(kept);
        let env = build(vars(&all), false, None);
        for (k, _) in dropped {
            assert!(!env.contains_key(&OsString::from(k)), "{k} was passed");
        }
        for (k, v) in kept {
            assert_eq!(
                env.get(&OsString::from(k))
                    .map(|v| v.to_string_lossy().into_owned()),
                Some(v.to_string()),
                "{k} was dropped"
            );
        }
        // The request can still set them: the model asked for it in the open.
        let mut ov = BTreeMap::new();
        ov.insert("SSH_AUTH_SOCK".to_string(), Some("/tmp/agent".to_string()));
        ov.insert(
            "DATABASE_URL".to_string(),
            Some("postgres://app:pw@db/app".to_string()),
        );
        let env = build(vars(&all), false, Some(&ov));
        assert_eq!(env[&OsString::from("SSH_AUTH_SOCK")], "/tmp/agent");
        assert_eq!(
            env[&OsString::from("DATABASE_URL")],
            "postgres://app:pw@db/app"
        );
    }

    #[test]
    fn short_or_plain_values_are_not_mistaken_for_tokens() {
        for v in [
            "sk-short",
            "ghp_short",
            "xoxb-1",
            "AKIA123",
            "eyJ.eyJ.x",
            "see https://example.com/a:b@c",
            "http://host:8080/path",
        ] {
            assert!(!value_looks_secret(v), "{v}");
        }
        assert!(!high_entropy("aaaaaaaaaaaaaaaaaaaa"));
        assert!(!high_entropy("/usr/local/lib/some/Path1"));
        assert!(high_entropy("Zm9vYmFyOmJhejEyMzQ1Njc4OTBxd2VydHk="));
    }
}
