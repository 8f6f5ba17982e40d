//! What may run without asking under the `untrusted` policy, and what "approve for this session"
//! may remember.
//!
//! The known-safe set is a table: one row per program, saying which options are refused (they write
//! files or run other programs) or which arguments are allowed at all. A program not in the table is
//! never known-safe. The rows are narrow on purpose: a command that is not here is simply asked about.
//!
//! A command's program is trusted only by a bare name (resolved through PATH by the sidecar) or, for
//! the shell that wraps `exec_command` scripts, by being exactly the configured shell. `./x/bash` is a
//! file in the workspace, not bash.

/// How a row judges a command's arguments (everything after the program name).
#[derive(Clone, Copy)]
pub enum ArgRule {
    /// Any arguments, except these options. `long` entries refuse the option, its `=value` form and
    /// every abbreviation GNU/git option parsers accept (`--out` for `--output`); `short` letters
    /// refuse any short-option cluster containing them (`-oF`, `-ro`).
    Refuse {
        long: &'static [&'static str],
        short: &'static str,
        /// Single-dash words refused as whole words (find's `-exec`, `-delete`, ...).
        words: &'static [&'static str],
        /// At most this many operands (words that are not options); `uniq IN OUT` writes OUT.
        max_operands: Option<usize>,
        /// Options whose value is the next word (not counted as an operand).
        valued: &'static [&'static str],
    },
    /// A hand-written check for programs whose safe use is a small language of its own.
    Custom(fn(&[String]) -> bool),
}

/// One row of the known-safe table.
pub struct SafeProgram {
    pub program: &'static str,
    pub args: ArgRule,
}

const fn any_but(long: &'static [&'static str], short: &'static str) -> ArgRule {
    ArgRule::Refuse {
        long,
        short,
        words: &[],
        max_operands: None,
        valued: &[],
    }
}

const ANY: ArgRule = any_but(&[], "");

/// The known-safe table. Keep it sorted by program; each row has a test with allowed and refused
/// examples (tools/tests.rs).
#[rustfmt::skip]
pub const SAFE_PROGRAMS: &[SafeProgram] = &[
    SafeProgram { program: "basename", args: ANY },
    SafeProgram { program: "cat", args: ANY },
    SafeProgram { program: "cd", args: ArgRule::Refuse { long: &[], short: "", words: &[], max_operands: Some(1), valued: &[] } },
    SafeProgram { program: "cmp", args: ANY },
    SafeProgram { program: "cut", args: ANY },
    // `date -s` / `--set` / `date MMDDhhmm` set the clock: only `+FORMAT` operands.
    SafeProgram { program: "date", args: ArgRule::Custom(date_is_safe) },
    SafeProgram { program: "df", args: ANY },
    SafeProgram { program: "diff", args: ANY },
    SafeProgram { program: "dirname", args: ANY },
    SafeProgram { program: "du", args: ANY },
    SafeProgram { program: "echo", args: ANY },
    SafeProgram { program: "false", args: ANY },
    // `file -C` compiles a magic file and writes it.
    SafeProgram { program: "file", args: any_but(&["--compile"], "C") },
    // The actions that run programs or write files.
    SafeProgram { program: "find", args: ArgRule::Refuse {
        long: &[], short: "", max_operands: None, valued: &[],
        words: &["-exec", "-execdir", "-ok", "-okdir", "-delete", "-fls", "-fprint", "-fprint0", "-fprintf"],
    } },
    SafeProgram { program: "git", args: ArgRule::Custom(git_is_safe) },
    SafeProgram { program: "grep", args: ANY },
    SafeProgram { program: "head", args: ANY },
    SafeProgram { program: "id", args: ANY },
    SafeProgram { program: "ls", args: ANY },
    SafeProgram { program: "nl", args: ANY },
    SafeProgram { program: "pwd", args: ANY },
    SafeProgram { program: "realpath", args: ANY },
    // `--pre` runs a program on every file; `-z` runs decompressors; `--hostname-bin` runs one.
    SafeProgram { program: "rg", args: any_but(&["--pre", "--pre-glob", "--search-zip", "--hostname-bin"], "z") },
    SafeProgram { program: "sed", args: ArgRule::Custom(sed_is_safe) },
    // `-o` writes a file; `-T` and `--compress-program` write temporaries / run a program.
    SafeProgram { program: "sort", args: any_but(&["--output", "--compress-program", "--temporary-directory", "--random-source"], "oT") },
    SafeProgram { program: "stat", args: ANY },
    SafeProgram { program: "tail", args: ANY },
    SafeProgram { program: "tr", args: ANY },
    // `-o` writes the listing to a file; `-R` writes 00Tree.html files with -H/-o.
    SafeProgram { program: "tree", args: any_but(&["--fromfile", "--output"], "oR") },
    SafeProgram { program: "true", args: ANY },
    SafeProgram { program: "uname", args: ANY },
    // `uniq IN OUT` writes OUT.
    SafeProgram { program: "uniq", args: ArgRule::Refuse {
        long: &[], short: "", words: &[], max_operands: Some(1),
        valued: &["-f", "-s", "-w", "--skip-fields", "--skip-chars", "--check-chars"],
    } },
    SafeProgram { program: "wc", args: ANY },
    SafeProgram { program: "which", args: ANY },
    SafeProgram { program: "whoami", args: ANY },
];

/// Shells whose `-c` scripts Tack reads (POSIX-style syntax).
const POSIX_SHELLS: [&str; 4] = ["bash", "sh", "zsh", "dash"];

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `program` names the configured shell: exactly its configured path, or (when it is a bare
/// word) the configured shell's file name. `./scripts/bash` and `/tmp/bash` are not the shell.
/// Windows paths are read as Windows reads them (shell_kind.rs).
pub fn is_configured_shell(program: &str, configured: &str) -> bool {
    super::shell_kind::is_configured_shell(program, configured)
}

/// `[shell, -c|-lc|-cl, script]` -> the script, when `shell` is trusted to be a POSIX shell: the
/// configured shell, or a bare `bash`/`sh`/`zsh`/`dash` (found through PATH). A shell named by a path
/// other than the configured one is an unknown program.
pub fn shell_script<'a>(argv: &'a [String], configured_shell: &str) -> Option<&'a str> {
    if argv.len() != 3 {
        return None;
    }
    let program = argv[0].as_str();
    let trusted = if program.contains('/') {
        program == configured_shell
    } else {
        true
    };
    let posix = POSIX_SHELLS.contains(&file_name(program));
    let is_flag = matches!(argv[1].as_str(), "-c" | "-lc" | "-cl");
    (trusted && posix && is_flag).then_some(argv[2].as_str())
}

/// Splits a shell script into simple commands joined by `&&`, `||`, `;` or `|`, or None when it
/// uses anything else (redirections, substitutions, globs, variables, backgrounding, comments).
pub fn split_simple_script(script: &str) -> Option<Vec<Vec<String>>> {
    let mut commands = vec![];
    let mut words: Vec<String> = vec![];
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let end_word = |word: &mut String, words: &mut Vec<String>, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('$') | Some('`') | Some('\\') | Some('!') => return None,
                        Some(c) => word.push(c),
                        None => return None,
                    }
                }
            }
            ' ' | '\t' => end_word(&mut word, &mut words, &mut in_word),
            '&' | '|' | ';' | '\n' => {
                if c == '&' && chars.next_if_eq(&'&').is_none() {
                    return None; // background job
                }
                if c == '|' {
                    // `|&` also pipes stderr; `||` is an or-list. Both are fine; `|&` is bash-only.
                    if chars.next_if_eq(&'&').is_some() {
                        return None;
                    }
                    chars.next_if_eq(&'|');
                }
                end_word(&mut word, &mut words, &mut in_word);
                if words.is_empty() {
                    return None;
                }
                commands.push(std::mem::take(&mut words));
            }
            '>' | '<' | '$' | '`' | '(' | ')' | '{' | '}' | '\\' | '*' | '?' | '[' | ']' | '~'
            | '!' | '#' | '\r' => return None,
            c if c.is_control() => return None,
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut words, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    if commands.is_empty() {
        None
    } else {
        Some(commands)
    }
}

/// The commands runnable without asking under the `untrusted` policy: they only read. A script is
/// judged only when the configured (or a bare, PATH-resolved) POSIX shell runs it and every simple
/// command in it is safe.
pub fn is_known_safe(argv: &[String], configured_shell: &str) -> bool {
    if let Some(script) = shell_script(argv, configured_shell) {
        return match split_simple_script(script) {
            Some(cmds) => cmds.iter().all(|c| is_safe_simple(c)),
            None => false,
        };
    }
    is_safe_simple(argv)
}

/// Whether one simple command (program and arguments, no shell syntax) is in the table. The program
/// must be a bare name: `./ls` or `/tmp/cat` are files someone may have written.
pub fn is_safe_simple(argv: &[String]) -> bool {
    let Some(program) = argv.first() else {
        return false;
    };
    if program.contains('/') {
        return false;
    }
    let Some(row) = SAFE_PROGRAMS.iter().find(|r| r.program == program) else {
        return false;
    };
    let args = &argv[1..];
    match row.args {
        ArgRule::Custom(check) => check(args),
        ArgRule::Refuse {
            long,
            short,
            words,
            max_operands,
            valued,
        } => {
            let mut operands = 0usize;
            let mut after_dashdash = false;
            let mut i = 0;
            while i < args.len() {
                let a = args[i].as_str();
                i += 1;
                if after_dashdash || a == "-" || !a.starts_with('-') {
                    operands += 1;
                    continue;
                }
                if a == "--" {
                    after_dashdash = true;
                    continue;
                }
                if words.contains(&a) {
                    return false;
                }
                if a.starts_with("--") {
                    if long_refused(a, long) {
                        return false;
                    }
                } else if a.chars().skip(1).any(|c| short.contains(c)) {
                    return false;
                }
                if valued.contains(&a) {
                    i += 1; // its value
                }
            }
            max_operands.is_none_or(|max| operands <= max)
        }
    }
}

/// `--name[=value]` against refused long options, counting abbreviations (`--out` for `--output`)
/// and longer names that start with a refused one (conservative: `--output-indicator-new` is asked).
fn long_refused(word: &str, refused: &[&str]) -> bool {
    let name = word.split('=').next().unwrap_or(word);
    if name.len() <= 2 {
        return false;
    }
    refused
        .iter()
        .any(|r| name.starts_with(r) || r.starts_with(name))
}

/// date prints: options other than `-s`/`--set`, and operands only of the `+FORMAT` kind (a bare
/// `MMDDhhmm` operand sets the clock).
fn date_is_safe(args: &[String]) -> bool {
    const VALUED: &[&str] = &["-d", "-f", "-r", "--date", "--file", "--reference"];
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        let ok = if a.starts_with("--") {
            a.len() > 2 && !long_refused(a, &["--set"])
        } else if a.starts_with('-') && a.len() > 1 {
            !a.contains('s')
        } else {
            a.starts_with('+')
        };
        if !ok {
            return false;
        }
        if VALUED.contains(&a) {
            i += 1; // its value: a date string or a file to read
        }
    }
    true
}

/// sed only prints line ranges: `sed -n Np FILE...` or `sed -n M,Np FILE...` (the Codex CLI's rule).
/// Anything else (`e`, `w`, `r`, `-i`, `--in-place`, scripts from files) is asked.
fn sed_is_safe(args: &[String]) -> bool {
    let [flag, script, files @ ..] = args else {
        return false;
    };
    if flag != "-n" {
        return false;
    }
    let Some(range) = script.strip_suffix('p') else {
        return false;
    };
    let number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let range_ok = match range.split_once(',') {
        Some((a, b)) => number(a) && number(b),
        None => number(range),
    };
    range_ok && files.iter().all(|f| !f.starts_with('-'))
}

/// Options no git subcommand may carry in the safe set: they write files or run programs.
const GIT_REFUSED_LONG: &[&str] = &[
    "--output",
    "--ext-diff",
    "--textconv",
    "--exec",
    "--upload-pack",
];

/// git: no global options at all (`-c`, `--config-env`, `--exec-path`, `-C`, `--git-dir`, `-p` come
/// before the subcommand and are refused by requiring the subcommand first), then a reading
/// subcommand without options that write or run code. `branch` only lists.
fn git_is_safe(args: &[String]) -> bool {
    let Some((sub, rest)) = args.split_first() else {
        return false;
    };
    let refused = |a: &String| a.starts_with("--") && long_refused(a, GIT_REFUSED_LONG);
    match sub.as_str() {
        "status" | "log" | "diff" | "show" | "ls-files" | "rev-parse" | "blame" => {
            !rest.iter().any(refused)
        }
        "branch" => git_branch_lists_only(rest),
        _ => false,
    }
}

/// `git branch` that only lists: listing options, and patterns only after `--list`/`-l`.
fn git_branch_lists_only(args: &[String]) -> bool {
    const FLAGS: &[&str] = &[
        "-a",
        "--all",
        "-r",
        "--remotes",
        "-v",
        "-vv",
        "--verbose",
        "--show-current",
        "-l",
        "--list",
        "--no-color",
        "--color",
        "--no-column",
        "-i",
        "--ignore-case",
        "--omit-empty",
    ];
    const VALUED: &[&str] = &[
        "--contains",
        "--no-contains",
        "--merged",
        "--no-merged",
        "--points-at",
        "--sort",
        "--format",
    ];
    let listing = args.iter().any(|a| a == "-l" || a == "--list");
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        if FLAGS.contains(&a) || a.starts_with("--color=") {
            continue;
        }
        if let Some(name) = VALUED
            .iter()
            .find(|v| a == **v || a.starts_with(&format!("{v}=")))
        {
            if a == *name {
                i += 1;
            }
            continue;
        }
        if a.starts_with('-') || !listing {
            // -d/-D/-m/-M/-c/-C/--delete/--move/--copy/--set-upstream*/--edit-description/-f...,
            // or a new branch name.
            return false;
        }
    }
    true
}

/// Programs a remembered approval may never start with: shells, interpreters and wrappers run
/// whatever follows them, so "approve `bash` for this session" would approve everything.
pub const NEVER_REMEMBERED_PROGRAMS: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "dash",
    "fish",
    "ksh",
    "csh",
    "tcsh",
    "ash",
    "busybox",
    "pwsh",
    "powershell",
    "python",
    "python2",
    "python3",
    "pypy",
    "pypy3",
    "node",
    "nodejs",
    "deno",
    "bun",
    "perl",
    "ruby",
    "php",
    "lua",
    "tclsh",
    "osascript",
    "env",
    "sudo",
    "su",
    "doas",
    "pkexec",
    "runuser",
    "xargs",
    "nohup",
    "nice",
    "ionice",
    "timeout",
    "time",
    "exec",
    "eval",
    "command",
    "builtin",
    "npx",
    "bunx",
    "pnpx",
    "source",
    ".",
    "setsid",
    "stdbuf",
    "chroot",
    "nsenter",
    "unshare",
    "watch",
    "strace",
    "ltrace",
    "gdb",
    "script",
    "flock",
    "parallel",
    "ssh",
    "docker",
    "podman",
    "kubectl",
];

/// Programs whose first word alone is a whole toolbox: a remembered prefix must name the subcommand
/// too (`git status`, `npm install`), never the program alone.
pub const NEEDS_SUBCOMMAND: &[&str] = &[
    "git", "npm", "pnpm", "yarn", "cargo", "go", "pip", "pip3", "uv", "poetry", "make", "gh",
    "apt", "apt-get", "brew", "dotnet", "mvn", "gradle", "rustup", "gem", "bundle", "composer",
    "swift",
];

/// Programs that are never remembered at all (the approval is for this one run).
const ONCE_ONLY_PROGRAMS: &[&str] = &["sudo", "su", "doas", "pkexec", "eval", "exec"];

/// Why a program may not head a remembered prefix, or None when it may.
fn prefix_head_problem(program: &str) -> Option<String> {
    if program.contains('/') {
        return Some(format!("`{program}` is a path: what it runs can change"));
    }
    if program.contains('=') {
        return Some(format!("`{program}` sets the environment of what follows"));
    }
    let name = program.to_ascii_lowercase();
    let name = name.as_str();
    let interpreter = NEVER_REMEMBERED_PROGRAMS.contains(&name)
        || name.starts_with("python")
        || name.starts_with("pypy")
        || name.starts_with("ruby")
        || name.starts_with("perl")
        || name.starts_with("php")
        || name.starts_with("node");
    interpreter.then(|| format!("`{program}` runs whatever follows it"))
}

/// The words of a command for remembered approvals: a script of one simple command gives its words;
/// a direct argv (not a shell script) is its own words. None for compound or complex scripts (they
/// are remembered only as the exact argv).
pub fn command_words(argv: &[String], configured_shell: &str) -> Option<Vec<String>> {
    if let Some(script) = shell_script(argv, configured_shell) {
        let mut cmds = split_simple_script(script)?;
        return (cmds.len() == 1).then(|| cmds.remove(0));
    }
    // A shell named by path, or any shell with an unusual flag, is judged as a plain argv: its first
    // word is a shell or a path, which can never head a prefix.
    (!argv.is_empty()).then(|| argv.to_vec())
}

/// What "approve for this session" remembers for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RememberPlan {
    /// Commands whose words start with these.
    Prefix(Vec<String>),
    /// Exactly this argv (compound scripts, interpreters).
    Exact(Vec<String>),
    /// Nothing: approving for the session approves this run only.
    Once,
}

/// Decides what an approval for the session may remember, from the command and the prefix the model
/// proposed. Returns the plan and, when the model's prefix was not used, the reason (for the card).
pub fn remember_plan(
    argv: &[String],
    configured_shell: &str,
    proposed: Option<&[String]>,
) -> (RememberPlan, Option<String>) {
    let proposed = proposed.filter(|p| !p.is_empty());
    let shown = |p: &[String]| p.join(" ");
    let Some(words) = command_words(argv, configured_shell) else {
        let note = proposed.map(|p| {
            format!(
                "The model asked to allow commands starting with `{}`; this is a compound script, so only this exact script is remembered.",
                shown(p)
            )
        });
        return (RememberPlan::Exact(argv.to_vec()), note);
    };
    let program = words[0].as_str();
    if ONCE_ONLY_PROGRAMS.contains(&file_name(program)) {
        let note = Some(format!(
            "`{program}` is never remembered: approving for the session approves this run only."
        ));
        return (RememberPlan::Once, note);
    }
    if let Some(problem) = prefix_head_problem(program) {
        let note = Some(match proposed {
            Some(p) => format!(
                "The model asked to allow commands starting with `{}`; {problem}, so only this exact command is remembered.",
                shown(p)
            ),
            None => format!("{problem}, so only this exact command is remembered."),
        });
        return (RememberPlan::Exact(argv.to_vec()), note);
    }
    // The command's own words, unless they are a toolbox without its subcommand (`git -C x ...`).
    let own =
        if NEEDS_SUBCOMMAND.contains(&program) && words.get(1).is_none_or(|w| w.starts_with('-')) {
            RememberPlan::Exact(argv.to_vec())
        } else {
            RememberPlan::Prefix(words.clone())
        };
    let own_text = match &own {
        RememberPlan::Prefix(w) => format!("commands starting with `{}` are remembered", shown(w)),
        _ => "only this exact command is remembered".to_string(),
    };
    let Some(p) = proposed else {
        return (own, None);
    };
    let problem = if p.len() > words.len() || p[..] != words[..p.len()] {
        Some("it is not how this command starts".to_string())
    } else if NEEDS_SUBCOMMAND.contains(&program) && p.get(1).is_none_or(|w| w.starts_with('-')) {
        Some(format!(
            "`{program}` without its subcommand would allow every `{program}` command"
        ))
    } else {
        None
    };
    match problem {
        None => (RememberPlan::Prefix(p.to_vec()), None),
        Some(problem) => {
            let note = format!(
                "The model asked to allow commands starting with `{}`; {problem}, so {own_text} instead.",
                shown(p)
            );
            (own, Some(note))
        }
    }
}

/// Whether a remembered plan covers this command.
pub fn plan_covers(plan: &RememberPlan, argv: &[String], configured_shell: &str) -> bool {
    match plan {
        RememberPlan::Once => false,
        RememberPlan::Exact(exact) => exact == argv,
        RememberPlan::Prefix(prefix) => {
            let Some(words) = command_words(argv, configured_shell) else {
                return false;
            };
            !prefix.is_empty() && words.len() >= prefix.len() && words[..prefix.len()] == prefix[..]
        }
    }
}
