use super::*;

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Splits a script line the way the tests write commands: plain words, one space apart.
fn words(line: &str) -> Vec<String> {
    split_simple_script(line)
        .map(|mut c| c.remove(0))
        .unwrap_or_else(|| panic!("{line}"))
}

fn safe(line: &str) -> bool {
    is_known_safe(&v(&["bash", "-lc", line]), "bash")
}

/// Every row of the table, with commands it allows and commands it refuses. A new row without an
/// entry here fails `every_row_has_examples`.
const ROW_EXAMPLES: &[(&str, &[&str], &[&str])] = &[
    ("basename", &["basename a/b.rs .rs"], &[]),
    ("cat", &["cat README.md", "cat -n a b"], &["cat ./x > y"]),
    ("cd", &["cd src", "cd src && ls"], &["cd a b"]),
    ("cmp", &["cmp a b"], &[]),
    ("cut", &["cut -d: -f1 a"], &[]),
    (
        "date",
        &[
            "date",
            "date -u",
            "date +%s",
            "date -u +%Y-%m-%d",
            "date -d yesterday +%F",
            "date --utc",
        ],
        &[
            "date -s 2020-01-01",
            "date --set=x",
            "date --se x",
            "date -us x",
            "date 010100002030",
            "date -u 0101",
            "date --",
        ],
    ),
    ("df", &["df -h"], &[]),
    ("diff", &["diff -u a b"], &[]),
    ("dirname", &["dirname a/b"], &[]),
    ("du", &["du -sh ."], &[]),
    ("echo", &["echo hi"], &["echo hi > f"]),
    ("false", &["false"], &[]),
    (
        "file",
        &["file a.bin", "file -b a"],
        &["file -C -m x", "file --compile", "file -bC x"],
    ),
    (
        "find",
        &["find . -name '*.rs'", "find src -type f -print"],
        &[
            "find . -delete",
            "find . -exec rm x",
            "find . -execdir x",
            "find . -ok rm",
            "find . -okdir rm",
            "find . -fprint0 out",
            "find . -fprint out",
            "find . -fprintf out %p",
            "find . -fls out",
        ],
    ),
    (
        "git",
        &[
            "git status",
            "git status --short",
            "git log --oneline -5",
            "git diff",
            "git diff --stat HEAD^",
            "git show HEAD",
            "git branch",
            "git branch -a -v",
            "git branch --list 'feat'",
            "git ls-files",
            "git rev-parse HEAD",
            "git blame a.rs",
            "git diff --no-ext-diff",
            "git log --no-textconv -p",
        ],
        &[
            "git -c core.pager=sh log",
            "git --config-env=x=y log",
            "git --exec-path=/tmp log",
            "git -C /tmp status",
            "git --git-dir=x log",
            "git -p log",
            "git push",
            "git commit -m x",
            "git checkout x",
            "git diff --ext-diff",
            "git diff --output=f",
            "git log --output f",
            "git log --out=f",
            "git show --textconv HEAD",
            "git log -p --textconv",
            "git diff --ext",
            "git branch -D main",
            "git branch -d x",
            "git branch --delete x",
            "git branch -m a b",
            "git branch -M b",
            "git branch -c a b",
            "git branch -C a b",
            "git branch --move a b",
            "git branch --copy a b",
            "git branch --set-upstream-to=o/m",
            "git branch -u o/m",
            "git branch --edit-description",
            "git branch newname",
            "git branch -f x",
            "git",
            "git grep -O x",
            "git config x",
        ],
    ),
    ("grep", &["grep -rn foo src"], &[]),
    ("head", &["head -20 a"], &[]),
    ("id", &["id -u"], &[]),
    ("ls", &["ls", "ls -la src"], &["ls $HOME", "ls ~"]),
    ("nl", &["nl -ba a"], &[]),
    ("pwd", &["pwd"], &[]),
    ("realpath", &["realpath a"], &[]),
    (
        "rg",
        &["rg -n foo src", "rg --files", "rg -i -g '*.rs' x"],
        &[
            "rg --pre cat x",
            "rg --pre=cat x",
            "rg --pre-glob '*' x",
            "rg -z x",
            "rg -iz x",
            "rg --search-zip x",
            "rg --hostname-bin x y",
        ],
    ),
    (
        "sed",
        &["sed -n 5p a", "sed -n 1,20p a b", "sed -n '10,20p' a"],
        &[
            "sed -n 1e a",
            "sed -n '1w out' a",
            "sed -n 'w out' a",
            "sed -n 1,2p -i a",
            "sed --in-place -n 1p a",
            "sed -i s/a/b/ f",
            "sed s/a/b/ f",
            "sed -n p a",
            "sed -n 1,p a",
            "sed -n '1r /etc/passwd' a",
            "sed -n 1p --in-place=.bak a",
            "sed -f script a",
            "sed -n",
        ],
    ),
    (
        "sort",
        &["sort a", "sort -u -k2,2 a", "sort -rn a"],
        &[
            "sort -o out a",
            "sort -oF a",
            "sort -ro out a",
            "sort --output=x a",
            "sort --out=x a",
            "sort --compress-program=sh a",
            "sort --compress=sh a",
            "sort -T /tmp a",
            "sort --temporary-directory=x a",
        ],
    ),
    ("stat", &["stat a"], &[]),
    ("tail", &["tail -n 20 a"], &[]),
    ("tr", &["tr a-z A-Z"], &[]),
    (
        "tree",
        &["tree -L 2", "tree -a src"],
        &[
            "tree -o out",
            "tree -ao out",
            "tree -R -H x -o y",
            "tree --fromfile x",
            "tree --output=x",
            "tree --out x",
        ],
    ),
    ("true", &["true"], &[]),
    ("uname", &["uname -a"], &[]),
    (
        "uniq",
        &["uniq a", "uniq -c a", "uniq -f 2 a", "uniq -s 1 -w 3 a"],
        &["uniq a b", "uniq -c in out", "uniq -f 2 in out"],
    ),
    ("wc", &["wc -l a b"], &[]),
    ("which", &["which cargo"], &[]),
    ("whoami", &["whoami"], &[]),
];

#[test]
fn every_row_has_examples() {
    for row in SAFE_PROGRAMS {
        assert!(
            ROW_EXAMPLES
                .iter()
                .any(|(p, ok, _)| *p == row.program && !ok.is_empty()),
            "row {} has no examples",
            row.program
        );
    }
    let mut names: Vec<_> = SAFE_PROGRAMS.iter().map(|r| r.program).collect();
    let sorted = {
        let mut n = names.clone();
        n.sort_unstable();
        n
    };
    assert_eq!(names, sorted, "keep the table sorted");
    names.dedup();
    assert_eq!(names.len(), SAFE_PROGRAMS.len());
}

#[test]
fn each_row_allows_its_examples_and_refuses_the_dangerous_ones() {
    for (program, allowed, refused) in ROW_EXAMPLES {
        assert!(
            SAFE_PROGRAMS.iter().any(|r| r.program == *program),
            "{program} not in the table"
        );
        for line in *allowed {
            assert!(safe(line), "{program}: `{line}` should be known-safe");
            // The same command as a direct argv (the `shell` tool) is judged alike.
            assert!(is_safe_simple(&words(line)), "{program}: argv `{line}`");
        }
        for line in *refused {
            assert!(!safe(line), "{program}: `{line}` must be asked about");
            if let Some([argv]) = split_simple_script(line).as_deref() {
                assert!(!is_safe_simple(argv), "{program}: argv `{line}`");
            }
        }
    }
}

#[test]
fn programs_outside_the_table_are_never_safe() {
    for line in [
        "cargo check",
        "cargo build",
        "python3 x.py",
        "node -e 1",
        "npm test",
        "make",
        "rm -rf target",
        "printenv",
        "env",
        "xargs ls",
        "tee out",
        "awk '{print}' a",
        "bash -c ls",
    ] {
        assert!(!safe(line), "`{line}` must be asked about");
    }
}

#[test]
fn scripts_are_safe_only_when_every_simple_command_is() {
    assert!(safe("ls -la && git status"));
    assert!(safe("rg -n foo src | head -20"));
    assert!(safe("cd src; ls || pwd"));
    for line in [
        "ls > out.txt",
        "cat < /etc/passwd",
        "cat $(echo x)",
        "cat `x`",
        "ls & rm x",
        "ls |& rm x",
        "ls && rm x",
        "ls; git push",
        "ls *",
        "echo \"$HOME\"",
        "FOO=1 ls",
        "ls # comment",
        "ls\rrm x",
        "(ls)",
        "{ ls; }",
        "ls \\; rm",
        "",
    ] {
        assert!(!safe(line), "`{line}` must be asked about");
    }
}

#[test]
fn programs_are_trusted_by_bare_name_and_shells_by_configuration() {
    // A program named by a path is whatever file is there.
    assert!(!is_known_safe(&v(&["./ls"]), "bash"));
    assert!(!is_known_safe(&v(&["/tmp/cat", "a"]), "bash"));
    assert!(is_known_safe(&v(&["cat", "README.md"]), "bash"));
    // A shell is trusted as the configured one, or by a bare name found through PATH.
    assert!(is_known_safe(&v(&["/bin/bash", "-lc", "ls"]), "/bin/bash"));
    assert!(is_known_safe(&v(&["bash", "-lc", "ls"]), "/bin/bash"));
    assert!(is_known_safe(&v(&["sh", "-c", "ls"]), "/bin/bash"));
    assert!(!is_known_safe(
        &v(&["./scripts/bash", "-lc", "ls"]),
        "/bin/bash"
    ));
    assert!(!is_known_safe(
        &v(&["./node_modules/.bin/bash", "-lc", "ls"]),
        "bash"
    ));
    assert!(!is_known_safe(
        &v(&["/usr/bin/bash", "-lc", "ls"]),
        "/bin/bash"
    ));
    assert!(!is_known_safe(&v(&["bash", "-x", "-c", "ls"]), "bash"));
    assert!(shell_script(&v(&["./x/bash", "-lc", "ls"]), "bash").is_none());
    // Non-POSIX shells' scripts are not read.
    assert!(!is_known_safe(&v(&["fish", "-c", "ls"]), "fish"));
    assert!(is_configured_shell("bash", "/bin/bash"));
    assert!(is_configured_shell("/bin/bash", "/bin/bash"));
    assert!(!is_configured_shell("/usr/bin/bash", "/bin/bash"));
    assert!(!is_configured_shell("./bash", "bash"));
    assert!(!is_configured_shell("zsh", "/bin/bash"));
}

#[test]
fn remembered_prefixes_never_start_with_a_shell_or_wrapper() {
    let npm = v(&["bash", "-lc", "npm install"]);
    let prefix = |p: &[&str]| v(p);
    // The model's valid prefix is used.
    assert_eq!(
        remember_plan(
            &v(&["bash", "-lc", "npm install left-pad"]),
            "bash",
            Some(&prefix(&["npm", "install"]))
        ),
        (RememberPlan::Prefix(v(&["npm", "install"])), None)
    );
    // `bash` is not how `npm install` starts: the command's own words are remembered instead.
    let (plan, note) = remember_plan(&npm, "bash", Some(&prefix(&["bash"])));
    assert_eq!(plan, RememberPlan::Prefix(v(&["npm", "install"])));
    assert!(note.unwrap().contains("`bash`"));
    // A toolbox alone is too wide.
    let (plan, note) = remember_plan(&npm, "bash", Some(&prefix(&["npm"])));
    assert_eq!(plan, RememberPlan::Prefix(v(&["npm", "install"])));
    assert!(note.unwrap().contains("every `npm` command"));
    let (plan, _) = remember_plan(
        &v(&["bash", "-lc", "git -c a=b log"]),
        "bash",
        Some(&prefix(&["git", "-c"])),
    );
    assert_eq!(
        plan,
        RememberPlan::Exact(v(&["bash", "-lc", "git -c a=b log"]))
    );
    // Interpreters, wrappers and shells as the command: only the exact command.
    for line in [
        "bash -c 'rm -rf x'",
        "python3 x.py",
        "env FOO=1 make",
        "xargs rm",
        "npx thing",
        "timeout 5 rm x",
        "node x.js",
        "busybox sh",
        "FOO=1 npm test",
    ] {
        let argv = v(&["bash", "-lc", line]);
        let (plan, note) = remember_plan(&argv, "bash", Some(&words(line)[..1]));
        assert_eq!(plan, RememberPlan::Exact(argv.clone()), "{line}");
        assert!(note.is_some(), "{line}");
    }
    // Compound scripts: only the exact script.
    let argv = v(&["bash", "-lc", "npm install && rm -rf /"]);
    let (plan, note) = remember_plan(&argv, "bash", Some(&prefix(&["npm", "install"])));
    assert_eq!(plan, RememberPlan::Exact(argv.clone()));
    assert!(note.unwrap().contains("compound"));
    // A program named by path or a shell named by path.
    let argv = v(&["./scripts/bash", "-lc", "npm install"]);
    assert_eq!(
        remember_plan(&argv, "bash", None).0,
        RememberPlan::Exact(argv.clone())
    );
    // sudo and friends: once only.
    assert_eq!(
        remember_plan(&v(&["bash", "-lc", "sudo apt update"]), "bash", None).0,
        RememberPlan::Once
    );
}

#[test]
fn remembered_plans_cover_only_what_they_say() {
    let plan = RememberPlan::Prefix(v(&["npm", "install"]));
    assert!(plan_covers(
        &plan,
        &v(&["bash", "-lc", "npm install x"]),
        "bash"
    ));
    assert!(plan_covers(&plan, &v(&["npm", "install"]), "bash"));
    assert!(!plan_covers(
        &plan,
        &v(&["bash", "-lc", "npm install x && rm -rf y"]),
        "bash"
    ));
    assert!(!plan_covers(
        &plan,
        &v(&["bash", "-lc", "npm test"]),
        "bash"
    ));
    assert!(!plan_covers(
        &plan,
        &v(&["bash", "-c", "bash -c 'npm install'"]),
        "bash"
    ));
    assert!(!plan_covers(
        &plan,
        &v(&["./bash", "-lc", "npm install"]),
        "bash"
    ));
    let exact = RememberPlan::Exact(v(&["bash", "-lc", "a && b"]));
    assert!(plan_covers(&exact, &v(&["bash", "-lc", "a && b"]), "bash"));
    assert!(!plan_covers(
        &exact,
        &v(&["bash", "-lc", "a && b && c"]),
        "bash"
    ));
    assert!(!plan_covers(&RememberPlan::Once, &v(&["ls"]), "bash"));
}
