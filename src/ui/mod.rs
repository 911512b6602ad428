//! The desktop window.

/// Opens the window.
pub fn run(_home: &std::path::Path) -> anyhow::Result<()> {
    anyhow::bail!("the window is not built yet")
}
