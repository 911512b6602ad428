//! `export`: a token to stdout or a file, once or kept fresh; `export --list` and `--stop`.

use std::path::Path;

use super::output::{Shape, render};
use super::served::{answered, served};
use super::{ExportArgs, Failure, open_records, open_wallet, usage};
use crate::agent;
use crate::export::{ExportFormat, TokenChoice};
use crate::model::written_ago;
use crate::wallet::{ExportRequest, KeptStatus, Wallet, WalletError};

pub(super) fn export_request(format: &str, token: &str) -> Result<ExportRequest, Failure> {
    let request = ExportRequest {
        format: ExportFormat::from_id(format).ok_or_else(|| usage("unknown format"))?,
        token: TokenChoice::from_id(token).ok_or_else(|| usage("unknown token choice"))?,
        keep_fresh: false,
    };
    if request.token != TokenChoice::Access
        && matches!(request.format, ExportFormat::Header | ExportFormat::Curl)
    {
        return Err(WalletError::AccessOnly(request.format).into());
    }
    Ok(request)
}

pub(super) async fn export(home: &Path, args: &ExportArgs) -> Result<(), Failure> {
    if args.list {
        return list(&open_records(home)?);
    }
    let name = args.name.as_deref().unwrap_or_default();
    if args.stop {
        let path = args.out.as_deref().unwrap_or(Path::new(""));
        return stop(home, name, path);
    }
    let request = export_request(&args.format, &args.token)?;
    let ask = agent::Request::Export {
        name: name.to_owned(),
        token: request.token,
        format: request.format,
        fresh: false,
    };
    let open = || open_wallet(home);
    let Some(path) = &args.out else {
        return served(home, ask, Shape::default(), open).await;
    };
    // To a file: the text comes from the agent or the wallet; this process writes it, so
    // the path means what it means here.
    let text = render(answered(home, ask, open).await?, Shape::default())?.stdout;
    let plural = if request.token == TokenChoice::Both {
        "s"
    } else {
        ""
    };
    let what = format!(
        "the {} export of '{name}' ({} token{plural})",
        request.format.id(),
        request.token.id(),
    );
    if args.keep_fresh {
        let kept = open_records(home)?.keep_file(name, path, request, &text, args.force)?;
        // The agent plans its timers again: this file may want a refresh sooner.
        super::served::ask(home, &agent::Request::Replan).ok();
        eprintln!(
            "tokenwallet: wrote {what} to {} (mode 0600) and keeps it fresh: it is rewritten after every refresh, which an agent or the window makes before the token gets short",
            kept.path.display()
        );
        return Ok(());
    }
    if args.force {
        crate::store::write_atomic(path, text.as_bytes())?;
    } else {
        crate::store::write_new_private(path, text.as_bytes())?;
    }
    eprintln!(
        "tokenwallet: wrote {what} to {} (mode 0600)",
        path.display()
    );
    Ok(())
}

fn stop(home: &Path, name: &str, path: &Path) -> Result<(), Failure> {
    if open_records(home)?.stop_keeping(name, path)? {
        super::served::ask(home, &agent::Request::Replan).ok();
        eprintln!(
            "tokenwallet: {} is no longer kept fresh; it stays on disk as it is",
            path.display()
        );
        Ok(())
    } else {
        Err(usage(format!(
            "'{name}' keeps no file at {}; `tokenwallet export --list` shows the kept files",
            path.display()
        )))
    }
}

fn list(wallet: &Wallet) -> Result<(), Failure> {
    let kept = wallet.kept_files()?;
    if kept.is_empty() {
        eprintln!(
            "tokenwallet: no file is kept fresh; `tokenwallet export NAME --out PATH --keep-fresh` keeps one"
        );
        return Ok(());
    }
    let now = wallet.now();
    let mut out = String::new();
    for status in &kept {
        out.push_str(&row(status, now));
        out.push('\n');
    }
    super::print_data(&out);
    Ok(())
}

/// `ACCOUNT  FORMAT TOKEN  written 3:12 ago  PATH  [error: …]`, tab-separated.
fn row(status: &KeptStatus, now: chrono::DateTime<chrono::Utc>) -> String {
    let written = written_ago(status.written, now);
    let file = &status.file;
    let mut row = format!(
        "{}\t{} {}\t{written}\t{}",
        status.account,
        file.format.id(),
        file.token.id(),
        file.path.display()
    );
    if let Some(error) = &file.error {
        row.push_str("\terror: ");
        row.push_str(error);
    }
    row
}
