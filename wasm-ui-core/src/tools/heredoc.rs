//! apply_patch sent through a command: `apply_patch <<'EOF' ... EOF` (optionally after `cd DIR &&`)
//! and `["apply_patch", PATCH]` are recognised so the core applies the patch instead of a shell.

/// Recognises `apply_patch <<'EOF' ... EOF` (optionally after `cd DIR &&`) sent as a command, and
/// `["apply_patch", PATCH]`. Returns (the patch text, a directory to apply it in, if any).
pub fn extract_heredoc_patch(argv: &[String]) -> Option<(String, Option<String>)> {
    if argv.len() == 2 && matches!(argv[0].as_str(), "apply_patch" | "applypatch") {
        return Some((argv[1].clone(), None));
    }
    // Recognised whatever shell is named: the patch is applied by the core, the shell never runs.
    if argv.len() != 3 || !matches!(argv[1].as_str(), "-c" | "-lc" | "-cl") {
        return None;
    }
    extract_from_script(&argv[2])
}

pub fn extract_from_script(script: &str) -> Option<(String, Option<String>)> {
    let script = script.trim();
    let (first_line, rest) = script.split_once('\n')?;
    let mut head = first_line.trim();
    let mut dir = None;
    if let Some(after_cd) = head.strip_prefix("cd ") {
        let (d, tail) = after_cd.split_once("&&")?;
        dir = Some(unquote(d.trim()).to_string());
        head = tail.trim();
    }
    let after_cmd = head
        .strip_prefix("apply_patch")
        .or_else(|| head.strip_prefix("applypatch"))?
        .trim_start();
    let marker = after_cmd.strip_prefix("<<")?.trim_start_matches('-').trim();
    let marker = unquote(marker);
    if marker.is_empty() || marker.contains(char::is_whitespace) {
        return None;
    }
    let mut body = Vec::new();
    let mut closed = false;
    for line in rest.lines() {
        if line.trim() == marker {
            closed = true;
            break;
        }
        body.push(line);
    }
    if !closed {
        return None;
    }
    // Nothing may follow the terminator but whitespace: otherwise it is a real script.
    let after = rest
        .lines()
        .skip(body.len() + 1)
        .collect::<Vec<_>>()
        .join("\n");
    if !after.trim().is_empty() {
        return None;
    }
    let mut text = body.join("\n");
    text.push('\n');
    Some((text, dir))
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['\'', '"'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}
