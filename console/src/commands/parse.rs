//! `inkline parse FIELD TEXT [--options N]`: print what the engine's parser makes of TEXT.

pub fn run(field: &str, text: &str, options: Option<usize>) -> anyhow::Result<()> {
    let value = inkline_core::parse::cli::to_json(field, text, options)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{value}");
    Ok(())
}
