//! `vxscope completions` and `vxscope man`: generated from the command definitions, so every command and
//! option the binary accepts is in them. Bash's completion is run in bash itself.

use std::process::Command;

use vxscope_tests::{require_tool, stderr, stdout, target_dir, vxscope, vxscope_bin};

/// The commands `vxscope --help` lists.
fn commands() -> Vec<String> {
    let help = stdout(&vxscope(["--help"]));
    let list = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap();
    let names: Vec<String> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_string)
        .collect();
    assert!(
        names.len() >= 9 && names.iter().any(|n| n == "dissect"),
        "{names:?}"
    );
    names
}

#[test]
fn bash_completes_commands_and_options() {
    let bash = require_tool("bash");
    let script = target_dir().join("vxscope.bash");
    let o = vxscope(["completions", "bash"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&script, &o.stdout).unwrap();
    let complete = |words: &str| {
        let n = words.split_whitespace().count() - usize::from(!words.ends_with(' '));
        let o = Command::new(&bash)
            .arg("-c")
            .arg(format!(
                "source '{}'; COMP_WORDS=({words}); [[ '{words}' == *' ' ]] && COMP_WORDS+=(''); COMP_CWORD={n}; \
                 _vxscope vxscope \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                script.display()
            ))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let words = complete("vxscope ");
    for c in commands() {
        assert!(words.lines().any(|w| w == c), "{c} not completed: {words}");
    }
    let options = complete("vxscope dissect --disp");
    assert_eq!(options.trim(), "--display-filter");
    let shells = complete("vxscope completions ");
    assert!(
        shells.lines().any(|w| w == "zsh") && shells.lines().any(|w| w == "fish"),
        "{shells}"
    );
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    for shell in ["zsh", "fish"] {
        let o = vxscope(["completions", shell]);
        assert!(o.status.success(), "{}", stderr(&o));
        let script = stdout(&o);
        for c in commands() {
            assert!(script.contains(&c), "{shell}: no {c}");
        }
        assert!(script.contains("display-filter"), "{shell}");
    }
    let o = vxscope(["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_pages_for_vxscope_and_every_command() {
    let o = vxscope(["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH vxscope 1"), "{page}");
    let dir = target_dir().join("man");
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(vxscope_bin())
        .args(["man", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let dissect = std::fs::read_to_string(dir.join("vxscope-dissect.1")).unwrap();
    assert!(dissect.contains(".TH vxscope-dissect 1"));
    assert!(
        dissect.contains("display\\-filter") && dissect.contains("EXPR"),
        "{dissect}"
    );
    for c in commands() {
        assert!(
            dir.join(format!("vxscope-{c}.1")).is_file(),
            "no page for {c}"
        );
    }
    assert!(!dir.join("vxscope-help.1").exists());
    // A directory that cannot be made is an error, not a panic.
    let o = vxscope(["man", "--dir", "/proc/vxscope-man"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with("vxscope man: /proc/vxscope-man: "),
        "{}",
        stderr(&o)
    );
}
