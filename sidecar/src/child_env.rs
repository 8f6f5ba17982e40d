//! The environment a command sees: the sidecar's own, minus anything that looks like a secret,
//! plus the settings that keep programs from waiting on a pager, plus the request's changes.
use std::collections::BTreeMap;
use std::ffi::OsString;

/// Names containing one of these (any case) are treated as secrets and dropped.
const SECRET_MARKERS: [&str; 4] = ["KEY", "SECRET", "TOKEN", "PASSWORD"];

pub fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| upper.contains(m))
}

pub fn build(
    inherited: impl IntoIterator<Item = (OsString, OsString)>,
    tty: bool,
    overrides: Option<&BTreeMap<String, Option<String>>>,
) -> BTreeMap<OsString, OsString> {
    let mut env: BTreeMap<OsString, OsString> = inherited
        .into_iter()
        .filter(|(k, _)| !looks_secret(&k.to_string_lossy()))
        .collect();
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
    env
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
}
