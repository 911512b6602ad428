//! The core speaks no front's language: no message in `model`, `providers`, `store`,
//! `wallet`, `export` or `import` names a command-line option, an environment variable or
//! a `tokenwallet` command. The fronts add those when they word an error.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

const CORE: &[&str] = &[
    "src/model",
    "src/providers",
    "src/store",
    "src/wallet",
    "src/export.rs",
    "src/import.rs",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            rust_files(&entry.unwrap().path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The string literals of the code before its unit tests, comments left out.
fn literals(source: &str) -> Vec<String> {
    let code = source.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut chars = line.chars().peekable();
        let mut current: Option<String> = None;
        while let Some(c) = chars.next() {
            match (&mut current, c) {
                (None, '/') if chars.peek() == Some(&'/') => break,
                (None, '"') => current = Some(String::new()),
                (Some(text), '\\') => {
                    text.push(c);
                    if let Some(next) = chars.next() {
                        text.push(next);
                    }
                }
                (Some(_), '"') => out.push(current.take().unwrap_or_default()),
                (Some(text), c) => text.push(c),
                (None, _) => {}
            }
        }
    }
    out
}

/// Whether a literal is a sentence that names a front: an option, a variable or a command.
fn names_a_front(literal: &str) -> bool {
    let sentence = literal.contains(' ');
    let option = literal
        .match_indices("--")
        .any(|(i, _)| literal[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()));
    sentence && (option || literal.contains("TOKENWALLET_") || literal.contains("tokenwallet "))
}

#[test]
fn the_scanner_finds_what_it_looks_for() {
    let source = r#"
        fn f() { err("add it with --client-id"); ok("TOKENWALLET_LOG"); }
        // a comment naming --url is fine
        fn g() { err("set TOKENWALLET_PASSPHRASE first"); err("run tokenwallet list"); }
        #[cfg(test)]
        fn h() { assert("--url"); }
    "#;
    let found: Vec<String> = literals(source)
        .into_iter()
        .filter(|l| names_a_front(l))
        .collect();
    assert_eq!(
        found,
        [
            "add it with --client-id",
            "set TOKENWALLET_PASSPHRASE first",
            "run tokenwallet list"
        ]
    );
}

#[test]
fn no_core_message_names_a_command_line_option_variable_or_command() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for place in CORE {
        rust_files(&root.join(place), &mut files);
    }
    assert!(files.len() > 15, "the scan found the core: {files:?}");
    let mut offenders = Vec::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for literal in literals(&source) {
            if names_a_front(&literal) {
                offenders.push(format!("{}: {literal}", file.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}
