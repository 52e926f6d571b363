//! Exec credential plugins (`users[].user.exec`), run by kubeward itself rather than by the
//! kube client: once per cluster read, under the scan's deadline (a plugin that hangs is
//! killed), and with its standard output (which holds the token) and its environment never
//! copied into an error or a report. The credential it prints replaces the `exec` entry in
//! the kubeconfig kubeward hands to the client, so the client never runs the plugin again.

use crate::ClusterError;
use kube::config::{AuthInfo, ExecConfig, Kubeconfig};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The most of a plugin's output kubeward reads (an ExecCredential is a few KiB).
const MAX_OUTPUT: u64 = 1024 * 1024;

/// Runs the exec plugin of `context`'s user, if it has one, and puts the credential it
/// prints in its place. `dir` is the kubeconfig's folder: a relative command with a `/` is
/// relative to it, as with kubectl.
pub fn resolve(
    kc: &mut Kubeconfig,
    context: &str,
    deadline: Duration,
    dir: Option<&Path>,
) -> Result<(), ClusterError> {
    let Some(user) = kc
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
    else {
        return Ok(());
    };
    let Some(auth) = kc
        .auth_infos
        .iter_mut()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_mut())
    else {
        return Ok(());
    };
    let Some(exec) = auth.exec.take() else {
        return Ok(());
    };
    let cred = run(&exec, deadline, dir)?;
    apply(auth, cred);
    Ok(())
}

/// What a plugin printed that kubeward uses.
#[derive(Default)]
struct Credential {
    token: Option<String>,
    cert_pem: Option<String>,
    key_pem: Option<String>,
}

fn apply(auth: &mut AuthInfo, c: Credential) {
    if let Some(t) = c.token {
        auth.token = Some(t.into());
    }
    if let (Some(cert), Some(key)) = (c.cert_pem, c.key_pem) {
        auth.client_certificate_data = Some(base64(cert.as_bytes()));
        auth.client_key_data = Some(base64(key.as_bytes()).into());
        auth.client_certificate = None;
        auth.client_key = None;
    }
}

fn run(
    exec: &ExecConfig,
    deadline: Duration,
    dir: Option<&Path>,
) -> Result<Credential, ClusterError> {
    let Some(program) = exec.command.as_deref() else {
        return Err(ClusterError::Config(
            "the kubeconfig user's exec credential plugin names no command".into(),
        ));
    };
    let name = Path::new(program)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| program.to_string());
    let path = match dir {
        Some(d) if program.contains('/') && Path::new(program).is_relative() => d.join(program),
        _ => program.into(),
    };
    let mut cmd = Command::new(&path);
    cmd.args(exec.args.iter().flatten());
    for e in exec.env.iter().flatten() {
        if let (Some(n), Some(v)) = (e.get("name"), e.get("value")) {
            cmd.env(n, v);
        }
    }
    let api_version = exec
        .api_version
        .clone()
        .unwrap_or_else(|| "client.authentication.k8s.io/v1".into());
    let info = serde_json::json!({
        "apiVersion": api_version, "kind": "ExecCredential",
        "spec": {"interactive": false},
    });
    cmd.env("KUBERNETES_EXEC_INFO", info.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        let hint = exec
            .install_hint
            .as_deref()
            .map(|h| format!(" ({})", h.trim()))
            .unwrap_or_default();
        ClusterError::Config(format!(
            "cannot run the exec credential plugin `{name}`: {e}{hint}"
        ))
    })?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = (&mut stdout).take(MAX_OUTPUT).read_to_end(&mut b);
        b
    });
    let err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = (&mut stderr).take(MAX_OUTPUT).read_to_end(&mut b);
        b
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break s,
            Ok(None) if started.elapsed() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ClusterError::Timeout {
                    after: deadline,
                    pending: vec![format!("the exec credential plugin `{name}`")],
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(ClusterError::Config(format!(
                    "the exec credential plugin `{name}`: {e}"
                )));
            }
        }
    };
    // The pipes close when the plugin exits (unless it left a child holding them: the
    // readers then stop at the limit or when that child exits).
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        // Standard output holds the token when there is one: never shown. The last line of
        // standard error usually says what to do (log in again).
        let said = String::from_utf8_lossy(&stderr);
        let last = said
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let mut last: String = last.trim().chars().take(200).collect();
        if !last.is_empty() {
            last = format!(": {last}");
        }
        return Err(ClusterError::Config(format!(
            "the exec credential plugin `{name}` failed ({status}){last} (its standard output \
             is not shown: it may hold a credential)"
        )));
    }
    parse(&stdout).ok_or_else(|| {
        ClusterError::Config(format!(
            "the exec credential plugin `{name}` did not print an ExecCredential with a token \
             or a client certificate (its output is not shown: it may hold a credential)"
        ))
    })
}

fn parse(stdout: &[u8]) -> Option<Credential> {
    let v: serde_json::Value = serde_json::from_slice(stdout).ok()?;
    let status = v.get("status")?;
    let s = |k: &str| {
        status
            .get(k)
            .and_then(|x| x.as_str())
            .filter(|x| !x.is_empty())
            .map(str::to_string)
    };
    let c = Credential {
        token: s("token"),
        cert_pem: s("clientCertificateData"),
        key_pem: s("clientKeyData"),
    };
    (c.token.is_some() || (c.cert_pem.is_some() && c.key_pem.is_some())).then_some(c)
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
