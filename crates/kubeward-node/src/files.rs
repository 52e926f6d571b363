//! Host file facts (`HostFile` objects): mode, owner and group of the files the benchmark
//! names, gathered with `stat` (the content of keys is never read).

use crate::Host;
use crate::render::quote;
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;

/// A user or group database (`/etc/passwd`, `/etc/group`) of the host.
fn names(host: &Host, file: &str) -> BTreeMap<u32, String> {
    let mut out = BTreeMap::new();
    if let Ok(text) = std::fs::read_to_string(host.path(file)) {
        for line in text.lines() {
            let parts: Vec<&str> = line.split(':').collect();
            if parts.len() >= 3 {
                if let Ok(id) = parts[2].parse() {
                    out.entry(id).or_insert_with(|| parts[0].to_string());
                }
            }
        }
    }
    out
}

/// Collects `HostFile` facts as one YAML stream.
pub struct Facts {
    users: BTreeMap<u32, String>,
    groups: BTreeMap<u32, String>,
    seen: std::collections::BTreeSet<String>,
    pub text: String,
    pub count: usize,
    version: Option<String>,
}

impl Facts {
    pub fn new(host: &Host, version: Option<&str>) -> Facts {
        Facts {
            users: names(host, "/etc/passwd"),
            groups: names(host, "/etc/group"),
            seen: Default::default(),
            text: String::new(),
            count: 0,
            version: version.map(str::to_string),
        }
    }

    /// Records the facts of `path` (a host path) in `role`; once per path.
    pub fn add(&mut self, host: &Host, path: &str, role: &str, why: &str) {
        if !self.seen.insert(path.to_string()) {
            return;
        }
        self.count += 1;
        let t = &mut self.text;
        t.push_str("---\n");
        t.push_str("apiVersion: node.kubeward.io/v1alpha1\nkind: HostFile\nmetadata:\n");
        t.push_str(&format!("  name: {}\n", quote(path)));
        if let Some(v) = &self.version {
            t.push_str(&format!(
                "  annotations:\n    kubeward.io/kubernetes-version: {}\n",
                quote(v)
            ));
        }
        t.push_str(&format!(
            "spec:\n  path: {}\n  role: {role}\n  foundBy: {}\nstatus:\n",
            quote(path),
            quote(why)
        ));
        match std::fs::metadata(host.path(path)) {
            Ok(m) => {
                let kind = if m.is_dir() { "directory" } else { "file" };
                t.push_str(&format!(
                    "  exists: true\n  type: {kind}\n  mode: \"{:04o}\"\n  uid: {}\n  gid: {}\n",
                    m.mode() & 0o7777,
                    m.uid(),
                    m.gid()
                ));
                if let Some(u) = self.users.get(&m.uid()) {
                    t.push_str(&format!("  user: {}\n", quote(u)));
                }
                if let Some(g) = self.groups.get(&m.gid()) {
                    t.push_str(&format!("  group: {}\n", quote(g)));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                t.push_str("  exists: false\n");
            }
            Err(e) => {
                t.push_str(&format!("  error: {}\n", quote(&e.to_string())));
            }
        }
    }

    /// Adds every file under `dir` (not following into subfolders deeper than `depth`) whose
    /// name passes `role_of`.
    pub fn add_tree(
        &mut self,
        host: &Host,
        dir: &str,
        depth: usize,
        why: &str,
        role_of: &dyn Fn(&str) -> Option<&'static str>,
    ) {
        let Ok(rd) = std::fs::read_dir(host.path(dir)) else {
            return;
        };
        let mut entries: Vec<(String, bool)> = rd
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.file_type().map(|t| t.is_dir()).unwrap_or(false),
                )
            })
            .collect();
        entries.sort();
        for (name, is_dir) in entries {
            let p = format!("{}/{name}", dir.trim_end_matches('/'));
            if is_dir {
                if depth > 0 {
                    self.add_tree(host, &p, depth - 1, why, role_of);
                }
            } else if let Some(role) = role_of(&name) {
                self.add(host, &p, role, why);
            }
        }
    }
}
