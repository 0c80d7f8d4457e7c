//! Named profiles in `$XDG_CONFIG_HOME/gcore-billing/config.toml` (or `~/.config/...`): where the
//! key comes from, the base URL, and defaults for the request flags.
//!
//! ```toml
//! [profiles.default]
//! api_key_file = "~/.config/gcore-billing/key"
//!
//! [profiles.reseller]
//! api_key_command = "pass show gcore/reseller"
//! base_url = "https://api.gcore.com"
//! timeout = "60s"
//! max_retries = 5
//! output = "table"
//! ```
//!
//! A setting comes from the first of: its flag, its environment variable, the profile. The profile
//! is `--profile`, else `GCORE_PROFILE`, else `default` when the file has one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::{Failure, read_limited};

/// The most a config file may hold.
const CONFIG_FILE_LIMIT: u64 = 1024 * 1024;
/// The most a key command may print.
const KEY_COMMAND_LIMIT: u64 = 64 * 1024;

/// The config file: profiles by name.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One profile. Every setting is optional; a key file and a key command exclude each other.
#[derive(Deserialize, Debug, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// A file whose first line is the API key (`~/` and paths relative to the config file work).
    pub api_key_file: Option<PathBuf>,
    /// A shell command that prints the API key on its first line (`pass show gcore`, `op read ...`).
    pub api_key_command: Option<String>,
    /// The API's base URL.
    pub base_url: Option<String>,
    /// Limit on one request attempt, as `--timeout` takes it (`90s`, `2m`).
    pub timeout: Option<String>,
    /// Retries of a failed attempt, as `--max-retries`.
    pub max_retries: Option<u32>,
    /// The default `api --output` (`json` or `table`).
    pub output: Option<String>,
    /// The Gcore account billed, FOCUS BillingAccountId (`sync --format focus` of this profile).
    pub billing_account_id: Option<String>,
}

/// The profile in use, with its name and the file it came from.
#[derive(Debug, Default)]
pub struct Chosen {
    pub name: Option<String>,
    pub file: Option<PathBuf>,
    pub profile: Profile,
    /// The profile's key and base URL come before the flags and the environment: `sync
    /// --accounts` runs several profiles at once, each with its own key and server, and a
    /// GCORE_API_KEY exported for other commands must not send one account's key for all.
    pub own_key_and_url: bool,
}

/// Where the config file is: `$XDG_CONFIG_HOME/gcore-billing/config.toml`, else
/// `$HOME/.config/gcore-billing/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(base.join("gcore-billing").join("config.toml"))
}

/// The profile named by `requested` (from `--profile` or `GCORE_PROFILE`), or the `default`
/// profile when none is requested and the file has one. A requested profile that is not there,
/// or a file that does not parse, is a usage error naming the file.
pub fn choose(requested: Option<&str>) -> Result<Chosen, Failure> {
    let Some(path) = config_path() else {
        return match requested {
            Some(name) => Err(Failure::Usage(format!(
                "profile {name:?}: no config file (set XDG_CONFIG_HOME or HOME)"
            ))),
            None => Ok(Chosen::default()),
        };
    };
    if !path.exists() {
        return match requested {
            Some(name) => Err(Failure::Usage(format!(
                "profile {name:?}: there is no config file {}",
                path.display()
            ))),
            None => Ok(Chosen::default()),
        };
    }
    let text = read_limited(&path, CONFIG_FILE_LIMIT, "the config file")?;
    let mut file: ConfigFile = toml::from_str(&text).map_err(|e| {
        Failure::Usage(format!(
            "the config file {} is not valid: {}",
            path.display(),
            e.message()
        ))
    })?;
    let name = requested.unwrap_or("default");
    match file.profiles.remove(name) {
        Some(profile) => {
            if profile.api_key_file.is_some() && profile.api_key_command.is_some() {
                return Err(Failure::Usage(format!(
                    "profile {name:?} in {} has both api_key_file and api_key_command; keep one",
                    path.display()
                )));
            }
            Ok(Chosen {
                name: Some(name.to_string()),
                file: Some(path),
                profile,
                own_key_and_url: false,
            })
        }
        None if requested.is_none() => Ok(Chosen::default()),
        None => Err(Failure::Usage(format!(
            "no profile {name:?} in {} (it has: {})",
            path.display(),
            if file.profiles.is_empty() {
                "none".to_string()
            } else {
                file.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
            }
        ))),
    }
}

/// The names of the config file's profiles, sorted (none when there is no file).
pub fn profile_names() -> Result<Vec<String>, Failure> {
    let Some(path) = config_path().filter(|p| p.exists()) else {
        return Ok(Vec::new());
    };
    let text = read_limited(&path, CONFIG_FILE_LIMIT, "the config file")?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        Failure::Usage(format!(
            "the config file {} is not valid: {}",
            path.display(),
            e.message()
        ))
    })?;
    Ok(file.profiles.into_keys().collect())
}

impl Chosen {
    /// The profile's key file, with `~/` expanded and a relative path taken from the config
    /// file's folder.
    pub fn key_file(&self) -> Option<PathBuf> {
        let path = self.profile.api_key_file.as_ref()?;
        if let Ok(rest) = path.strip_prefix("~")
            && let Some(home) = std::env::var_os("HOME")
        {
            return Some(PathBuf::from(home).join(rest));
        }
        if path.is_relative()
            && let Some(folder) = self.file.as_deref().and_then(Path::parent)
        {
            return Some(folder.join(path));
        }
        Some(path.clone())
    }

    /// The key the profile's `api_key_command` prints on its first line. The command's failure
    /// names the profile and the exit status, never its output.
    pub fn key_from_command(&self) -> Option<Result<String, Failure>> {
        let command = self.profile.api_key_command.as_ref()?;
        let name = self.name.as_deref().unwrap_or("default");
        Some(run_key_command(command).map_err(|why| {
            Failure::Usage(format!("the api_key_command of profile {name:?} {why}"))
        }))
    }

    /// What a message says the key came from.
    pub fn describe(&self) -> String {
        match (&self.name, &self.file) {
            (Some(name), Some(file)) => format!("profile {name:?} of {}", file.display()),
            _ => "no profile".to_string(),
        }
    }
}

/// Runs `command` with `sh -c` (stdin closed, stderr passed through for prompts) and returns the
/// first line it prints, read up to a limit.
fn run_key_command(command: &str) -> Result<String, String> {
    use std::io::Read as _;
    use std::process::{Command, Stdio};
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("could not start: {e}"))?;
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(KEY_COMMAND_LIMIT + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("could not be read: {e}"))?;
    }
    if out.len() as u64 > KEY_COMMAND_LIMIT {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("printed more than {KEY_COMMAND_LIMIT} bytes"));
    }
    let status = child.wait().map_err(|e| format!("failed: {e}"))?;
    if !status.success() {
        return Err(format!("failed ({status})"));
    }
    let text = String::from_utf8(out).map_err(|_| "printed text that is not UTF-8".to_string())?;
    let key = text.lines().next().unwrap_or("").trim().to_string();
    if key.is_empty() {
        return Err("printed no key on its first line".into());
    }
    Ok(key)
}

/// A duration as `--timeout` takes it: whole seconds (`90`) or with a unit (`90s`, `2m`, `500ms`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 90s, 2m, 500ms)"))?;
    let duration = match unit.trim() {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" | "min" => Duration::from_secs(number.saturating_mul(60)),
        "h" => Duration::from_secs(number.saturating_mul(3600)),
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?} (use ms, s, m or h)"
            ));
        }
    };
    if duration.is_zero() {
        return Err("a timeout of zero would fail every request".into());
    }
    Ok(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_or_a_unit_and_refuse_zero_and_junk() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0").unwrap_err().contains("zero"));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("not a duration")
        );
        assert!(parse_duration("5d").unwrap_err().contains("unknown unit"));
    }
}
