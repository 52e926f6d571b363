//! CIS Kubernetes Benchmark numbering for the node checks, per benchmark version.
//!
//! The kubelet section (4.2) was renumbered when `--protect-kernel-defaults` left the
//! benchmark (CIS 1.7, for Kubernetes 1.25): every later check moved up by one. The
//! configuration-file sections (1.1, 4.1) kept their numbers; CIS 1.8 tightened several
//! node files from 644 to 600.

/// One kubelet check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletCheck {
    AnonymousAuth,
    Authorization,
    ClientCa,
    ReadOnlyPort,
    IdleTimeout,
    ProtectKernelDefaults,
    IptablesChains,
    HostnameOverride,
    EventQps,
    TlsCert,
    RotateCertificates,
    ServerRotation,
    CipherSuites,
    PodPidsLimit,
    SeccompDefault,
}

/// The benchmark for a Kubernetes version (kube-bench's version mapping); the newest when the
/// version is unknown.
pub fn benchmark(version: Option<(u32, u32)>) -> &'static str {
    match version {
        Some((1, m)) if m <= 18 => "cis-1.6",
        Some((1, 19..=21)) => "cis-1.20",
        Some((1, 22 | 23)) => "cis-1.23",
        Some((1, 24)) => "cis-1.24",
        Some((1, 25 | 26)) => "cis-1.7",
        Some((1, 27)) => "cis-1.8",
        Some((1, 28)) => "cis-1.9",
        Some((1, 29..=31)) => "cis-1.11",
        _ => "cis-1.12",
    }
}

/// Whether `bench` uses the numbering with `--protect-kernel-defaults` (before CIS 1.7).
pub fn old_numbering(bench: &str) -> bool {
    matches!(bench, "cis-1.6" | "cis-1.20" | "cis-1.23" | "cis-1.24")
}

/// The CIS ID of `check` in `bench`, when the benchmark has that check.
pub fn kubelet_id(check: KubeletCheck, bench: &str) -> Option<&'static str> {
    use KubeletCheck::*;
    if old_numbering(bench) {
        return Some(match check {
            AnonymousAuth => "4.2.1",
            Authorization => "4.2.2",
            ClientCa => "4.2.3",
            ReadOnlyPort => "4.2.4",
            IdleTimeout => "4.2.5",
            ProtectKernelDefaults => "4.2.6",
            IptablesChains => "4.2.7",
            HostnameOverride => "4.2.8",
            EventQps => "4.2.9",
            TlsCert => "4.2.10",
            RotateCertificates => "4.2.11",
            ServerRotation => "4.2.12",
            CipherSuites => "4.2.13",
            PodPidsLimit | SeccompDefault => return None,
        });
    }
    Some(match check {
        AnonymousAuth => "4.2.1",
        Authorization => "4.2.2",
        ClientCa => "4.2.3",
        ReadOnlyPort => "4.2.4",
        IdleTimeout => "4.2.5",
        ProtectKernelDefaults => return None,
        IptablesChains => "4.2.6",
        HostnameOverride => "4.2.7",
        EventQps => "4.2.8",
        TlsCert => "4.2.9",
        RotateCertificates => "4.2.10",
        ServerRotation => "4.2.11",
        CipherSuites => "4.2.12",
        // Only verified in CIS 1.12.
        PodPidsLimit if bench == "cis-1.12" => "4.2.13",
        SeccompDefault if bench == "cis-1.12" => "4.2.14",
        PodPidsLimit | SeccompDefault => return None,
    })
}

/// The section a CIS ID belongs to (`4.2.6` → `4.2`, `2.1` → `2`), and its title.
pub fn section(id: &str) -> (String, &'static str) {
    let parts: Vec<&str> = id.split('.').collect();
    let sec = if parts.first() == Some(&"2") || parts.len() < 3 {
        parts[0].to_string()
    } else {
        format!("{}.{}", parts[0], parts[1])
    };
    let title = match sec.as_str() {
        "1.1" => "Control Plane Node Configuration Files",
        "1.2" => "API Server",
        "1.3" => "Controller Manager",
        "1.4" => "Scheduler",
        "2" => "Etcd Node Configuration",
        "3.1" => "Authentication and Authorization",
        "3.2" => "Logging",
        "4.1" => "Worker Node Configuration Files",
        "4.2" => "Kubelet",
        "4.3" => "kube-proxy",
        "5.1" => "RBAC and Service Accounts",
        "5.2" => "Pod Security Standards",
        "5.3" => "Network Policies and CNI",
        "5.4" => "Secrets Management",
        "5.5" => "Extensible Admission Control",
        _ => "Other",
    };
    (sec, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_follows_the_version() {
        let old = benchmark(Some((1, 24)));
        let new = benchmark(Some((1, 33)));
        assert_eq!((old, new), ("cis-1.24", "cis-1.12"));
        assert_eq!(
            kubelet_id(KubeletCheck::ProtectKernelDefaults, old),
            Some("4.2.6")
        );
        assert_eq!(kubelet_id(KubeletCheck::ProtectKernelDefaults, new), None);
        assert_eq!(kubelet_id(KubeletCheck::IptablesChains, old), Some("4.2.7"));
        assert_eq!(kubelet_id(KubeletCheck::IptablesChains, new), Some("4.2.6"));
        assert_eq!(
            kubelet_id(KubeletCheck::SeccompDefault, new),
            Some("4.2.14")
        );
        assert_eq!(benchmark(None), "cis-1.12");
        assert_eq!(section("4.2.14"), ("4.2".into(), "Kubelet"));
        assert_eq!(section("2.3").0, "2");
    }
}
