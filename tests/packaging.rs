//! The packaged files stay honest: the man page and the shell completions committed under
//! `packaging/` are what the command-line definition generates today (regenerate with
//! `UPDATE_PACKAGING=1 cargo test --test packaging`), and the desktop entry, metainfo,
//! icons and window agree on one app id and on the version.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use clap_complete::Shell;
use tokenwallet::cli::Cli;

const APP_ID: &str = "io.github.tokenwallet";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares a committed file with what is generated now, or rewrites it when asked.
fn check(path: &Path, generated: &[u8]) {
    if std::env::var_os("UPDATE_PACKAGING").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, generated).unwrap();
        return;
    }
    let committed = std::fs::read(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `UPDATE_PACKAGING=1 cargo test --test packaging` and commit it",
        path.display()
    );
}

#[test]
fn the_man_page_is_generated_from_the_cli() {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .unwrap();
    let text = String::from_utf8_lossy(&page);
    assert!(
        text.contains("export") && text.contains("\\-\\-home"),
        "{text}"
    );
    check(&root().join("packaging/man/tokenwallet.1"), &page);
}

#[test]
fn the_completions_are_generated_from_the_cli() {
    for (shell, file) in [
        (Shell::Bash, "tokenwallet.bash"),
        (Shell::Zsh, "_tokenwallet"),
        (Shell::Fish, "tokenwallet.fish"),
        (Shell::PowerShell, "_tokenwallet.ps1"),
    ] {
        let mut script = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "tokenwallet", &mut script);
        assert!(
            String::from_utf8_lossy(&script).contains("refresh"),
            "{shell}"
        );
        check(&root().join("packaging/completions").join(file), &script);
    }
}

#[test]
fn one_app_id_everywhere_and_the_release_is_this_version() {
    let packaging = root().join("packaging");
    let desktop = std::fs::read_to_string(packaging.join(format!("{APP_ID}.desktop"))).unwrap();
    assert!(desktop.contains(&format!("\nIcon={APP_ID}\n")), "{desktop}");
    assert!(
        desktop.contains(&format!("\nStartupWMClass={APP_ID}\n")),
        "{desktop}"
    );
    let metainfo =
        std::fs::read_to_string(packaging.join(format!("{APP_ID}.metainfo.xml"))).unwrap();
    assert!(metainfo.contains(&format!("<id>{APP_ID}</id>")));
    assert!(metainfo.contains(&format!(
        "<launchable type=\"desktop-id\">{APP_ID}.desktop</launchable>"
    )));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        metainfo.contains(&format!("<release version=\"{version}\"")),
        "the metainfo's release is {version}"
    );
    let changelog = std::fs::read_to_string(root().join("CHANGELOG.md")).unwrap();
    assert!(
        changelog.contains(&format!("released as {version}")),
        "the changelog names {version}"
    );
    assert_eq!(tokenwallet::ui::APP_ID, APP_ID, "the window's app id");
    for size in [32, 48, 64, 128, 256, 512] {
        let icon = packaging.join(format!("icons/hicolor/{size}x{size}/apps/{APP_ID}.png"));
        let bytes = std::fs::read(&icon).unwrap();
        // PNG width and height, big-endian, at bytes 16..24.
        let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert_eq!((width, height), (size, size), "{}", icon.display());
    }
}

#[test]
fn version_prints_the_version() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tokenwallet"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("tokenwallet {}\n", env!("CARGO_PKG_VERSION"))
    );
}
