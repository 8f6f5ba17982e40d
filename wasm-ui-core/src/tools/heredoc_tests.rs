use super::*;

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn recognises_apply_patch_heredocs() {
    let script =
        "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\nEOF\n";
    let (patch, dir) = extract_heredoc_patch(&v(&["bash", "-lc", script])).unwrap();
    assert_eq!(
        patch,
        "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    );
    assert_eq!(dir, None);
    let in_dir = "cd sub && apply_patch <<\"PATCH\"\n*** Begin Patch\n*** End Patch\nPATCH";
    let (_, dir) = extract_from_script(in_dir).unwrap();
    assert_eq!(dir.as_deref(), Some("sub"));
    assert!(extract_from_script("apply_patch <<'EOF'\nx\nEOF\nrm -rf /").is_none());
    assert!(extract_from_script("cat <<'EOF'\nx\nEOF").is_none());
    assert!(extract_from_script("apply_patch <<'EOF'\nno end").is_none());
    assert_eq!(
        extract_heredoc_patch(&v(&["apply_patch", "*** Begin Patch\n*** End Patch"]))
            .unwrap()
            .0,
        "*** Begin Patch\n*** End Patch"
    );
}
