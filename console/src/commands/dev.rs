//! `inkline sandbox` and `inkline loadgen`: developer tools that live in `inkline-dev`
//! (tests/devtools), so production images do not carry the fakes; these commands run it when it
//! sits next to `inkline`, and say what to do when it does not.

use std::ffi::OsString;
use std::path::PathBuf;

/// The `inkline-dev` binary next to this one.
fn dev_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dev = exe.parent()?.join("inkline-dev");
    dev.is_file().then_some(dev)
}

/// Runs `inkline-dev COMMAND ARGS…` in place of this process.
pub fn forward(command: &str, args: Vec<OsString>) -> anyhow::Result<()> {
    let Some(dev) = dev_binary() else {
        anyhow::bail!(
            "`inkline {command}` is a developer tool and this installation does not have it: \
             build it with `cargo build --bin inkline-dev` and run `inkline-dev {command}`"
        );
    };
    let mut cmd = std::process::Command::new(&dev);
    cmd.arg(command).args(args);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let e = cmd.exec();
        anyhow::bail!("cannot run {}: {e}", dev.display())
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status()?;
        anyhow::ensure!(status.success(), "inkline-dev {command} failed: {status}");
        Ok(())
    }
}
