//! Registry credentials from a Docker `config.json` (`auths`: `auth` = base64 of
//! `user:password`, or `username` and `password`). The same format as the
//! `.dockerconfigjson` key of an image pull Secret, so a pull Secret mounted into the server's
//! pod works as-is.

use crate::error::{CredsError, Error};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::collections::HashMap;
use std::path::Path;

/// A username and password (or token) for one registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credential {
    // Never print the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}, ***)", self.username)
    }
}

impl Credential {
    pub fn basic_header(&self) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.username, self.password))
        )
    }
}

/// Credentials by registry host.
#[derive(Clone, Debug, Default)]
pub struct Keychain {
    by_host: HashMap<String, Credential>,
}

/// `https://index.docker.io/v1/` → `docker.io`; `ghcr.io` stays.
fn host_key(key: &str) -> String {
    let k = key
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let k = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match k.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".into()
        }
        _ => k,
    }
}

impl Keychain {
    /// Reads a Docker config file. Errors name the file; secrets are never quoted.
    pub fn from_file(path: &Path) -> Result<Keychain, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json(&text).map_err(|source| Error::DockerConfig {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn from_json(text: &str) -> Result<Keychain, CredsError> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(CredsError::NotJson)?;
        let mut k = Keychain::default();
        let Some(auths) = v.get("auths").and_then(|a| a.as_object()) else {
            return Ok(k);
        };
        for (host, entry) in auths {
            let cred = if let Some(a) = entry.get("auth").and_then(|a| a.as_str()) {
                let raw = STANDARD
                    .decode(a.trim())
                    .map_err(|_| CredsError::AuthNotBase64 { host: host.clone() })?;
                let s = String::from_utf8(raw)
                    .map_err(|_| CredsError::AuthNotUtf8 { host: host.clone() })?;
                let (u, p) = s
                    .split_once(':')
                    .ok_or_else(|| CredsError::AuthNotUserPassword { host: host.clone() })?;
                Credential {
                    username: u.into(),
                    password: p.into(),
                }
            } else {
                match (
                    entry.get("username").and_then(|u| u.as_str()),
                    entry.get("password").and_then(|p| p.as_str()),
                ) {
                    (Some(u), Some(p)) => Credential {
                        username: u.into(),
                        password: p.into(),
                    },
                    _ => continue,
                }
            };
            k.by_host.insert(host_key(host), cred);
        }
        Ok(k)
    }

    /// The credential for a registry host (`docker.io` for Docker Hub).
    pub fn get(&self, host: &str) -> Option<&Credential> {
        self.by_host.get(&host_key(host))
    }

    pub fn len(&self) -> usize {
        self.by_host.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_host.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms_and_normalises_docker_hub() {
        let auth = STANDARD.encode("bob:s3cret");
        let k = Keychain::from_json(&format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}},
                "localhost:5000": {{"username": "u", "password": "p"}}, "x.io": {{}}}}}}"#
        ))
        .unwrap();
        assert_eq!(k.get("docker.io").unwrap().username, "bob");
        assert_eq!(k.get("localhost:5000").unwrap().password, "p");
        assert!(k.get("x.io").is_none());
        assert!(!format!("{:?}", k.get("docker.io")).contains("s3cret"));
        assert!(Keychain::from_json("{").is_err());
    }

    #[test]
    fn errors_say_which_entry_and_never_quote_the_secret() {
        assert!(matches!(
            Keychain::from_json("{"),
            Err(CredsError::NotJson(_))
        ));
        let e =
            Keychain::from_json(r#"{"auths": {"r.io": {"auth": "!!not base64!!"}}}"#).unwrap_err();
        assert!(matches!(&e, CredsError::AuthNotBase64 { host } if host == "r.io"));
        assert_eq!(e.to_string(), "auths.r.io.auth is not base64");
        let no_colon = STANDARD.encode("bobs3cret");
        let e = Keychain::from_json(&format!(
            r#"{{"auths": {{"r.io": {{"auth": "{no_colon}"}}}}}}"#
        ))
        .unwrap_err();
        assert!(matches!(e, CredsError::AuthNotUserPassword { .. }));
        assert!(!e.to_string().contains("bobs3cret"));

        let dir = std::env::temp_dir().join(format!("kw-creds-{}", std::process::id()));
        let missing = dir.join("missing.json");
        match Keychain::from_file(&missing) {
            Err(Error::Read { path, source }) => {
                assert_eq!(path, missing);
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
            }
            other => panic!("expected a read error, got {other:?}"),
        }
    }
}
