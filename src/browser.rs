//! Opening the person's browser, for both fronts.

/// Opens `url` with `$BROWSER` (the address as its last argument), else the platform's
/// opener. Does not wait for the browser.
pub fn open(url: &str) -> Result<(), String> {
    let (program, mut args) = match std::env::var("BROWSER") {
        Ok(browser) if !browser.trim().is_empty() => {
            let mut words = browser.split_whitespace().map(str::to_owned);
            let program = words.next().unwrap_or_default();
            (program, words.collect::<Vec<_>>())
        }
        _ if cfg!(target_os = "macos") => ("open".to_owned(), Vec::new()),
        _ if cfg!(windows) => (
            "cmd".to_owned(),
            vec!["/c".to_owned(), "start".to_owned(), String::new()],
        ),
        _ => ("xdg-open".to_owned(), Vec::new()),
    };
    args.push(url.to_owned());
    std::process::Command::new(&program)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|err| format!("{program}: {err}"))
}
