//! KW-CTR-006: containers that mount a container runtime socket from the node.

use crate::support::containers::{host_path_mounts, sockets_exposed};
use kubeward_core::{Check, Emitter, Layer, ObjectCtx, Rule, RuleMeta, Severity, Targets};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        id: "KW-CTR-006",
        name: "runtime-socket-mounted",
        layer: Layer::Containers,
        severity: Severity::Critical,
        title: "Container mounts the container runtime's socket",
        why: "The Docker, containerd, CRI-O or Podman API socket controls every container on the \
              node: whoever can connect can start a privileged container with the host's root \
              filesystem, read every container's secrets and environment, and tamper with \
              images. Mounting the socket, or any folder above it such as /var/run, is root on \
              the node. `readOnly: true` does not help: connecting to a socket is not a write.",
        fix: "Remove the mount. Build images with a daemonless builder (BuildKit rootless, \
              Kaniko, Buildah) instead of Docker-in-Docker through the socket; read container \
              metadata from the kubelet or the API server; for node agents that truly need the \
              runtime, isolate them in a dedicated namespace that only administrators can \
              deploy to.",
        references: &[
            (
                "nsa",
                "Kubernetes Hardening Guide: Pod security, host path volumes",
            ),
            ("mitre", "T1610"),
            ("mitre", "T1611"),
            ("checkov", "CKV_K8S_27"),
            ("kubescape", "C-0074"),
        ],
        default_enabled: true,
    },
    check: Check::Object {
        targets: Targets::PodSpecs,
        run: check,
    },
};

fn check(ctx: &ObjectCtx<'_>, out: &mut Emitter<'_>) {
    let Some(pod) = ctx.pod else { return };
    for m in host_path_mounts(pod) {
        let runtimes = sockets_exposed(&m);
        if runtimes.is_empty() {
            continue;
        }
        let what = match m.canonical.as_deref() {
            Some(p)
                if crate::support::containers::RUNTIME_SOCKETS
                    .iter()
                    .any(|s| s.path == p) =>
            {
                format!("the {} socket", runtimes[0])
            }
            _ if m.canonical.is_none() => format!("the {} named pipe", runtimes[0]),
            _ => format!("a folder holding the {} socket", runtimes.join(", ")),
        };
        let at = m.mount.str_at("mountPath").unwrap_or("?");
        out.report(
            ctx.object,
            m.mount_ptr(&[]),
            format!(
                "{} mounts {what} through {} at {at}: whoever controls the runtime is root on the node",
                m.container.describe(),
                m.describe()
            ),
        )
        .related(ctx.object.id, m.volume_ptr(pod), "the hostPath volume");
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::support::containers::fixtures::sorted;
    use crate::support::containers::fixtures::{all_kinds, host_mount, pod_yaml};
    use kubeward_core::testing::{pointers, run};
    use serde_json::json;

    #[test]
    fn sockets_and_their_folders_in_every_spelling() {
        for path in [
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/var/run/",
            "/run",
            "/var/run/containerd/containerd.sock",
            "/run/containerd",
            "/var/run/crio/crio.sock",
            "/run/podman/podman.sock",
            "/run/user/1000/podman/podman.sock",
            "/var//run/./docker.sock",
            "/var/lib/../run/docker.sock",
            "/run/k3s/containerd/containerd.sock",
            r"\\.\pipe\docker_engine",
        ] {
            let hits = run(&RULE, &pod_yaml(host_mount(path, None)));
            assert_eq!(
                sorted(pointers(&hits)),
                sorted(vec!["/spec/containers/0/volumeMounts/0"]),
                "{path}"
            );
        }
        // subPath narrows a folder to the socket.
        let hits = run(
            &RULE,
            &pod_yaml(host_mount("/var/run", Some("docker.sock"))),
        );
        assert!(
            hits[0].message.contains("the Docker socket"),
            "{}",
            hits[0].message
        );
        let hits = run(&RULE, &pod_yaml(host_mount("/run", None)));
        assert!(
            hits[0].message.contains("a folder holding"),
            "{}",
            hits[0].message
        );
    }

    #[test]
    fn quiet_for_other_paths_and_unmounted_volumes() {
        for path in [
            "/run/secrets",
            "/var/log",
            "/",
            "/var/run/docker",
            "/runx/docker.sock",
        ] {
            assert!(
                run(&RULE, &pod_yaml(host_mount(path, None))).is_empty(),
                "{path}"
            );
        }
        // subPath elsewhere in /run.
        assert!(run(&RULE, &pod_yaml(host_mount("/run", Some("lock")))).is_empty());
        // Declared but not mounted: the PSS hostPath control speaks; nobody can connect.
        let y = pod_yaml(json!({"containers": [{"name": "a", "image": "x"}],
            "volumes": [{"name": "v", "hostPath": {"path": "/var/run/docker.sock"}}]}));
        assert!(run(&RULE, &y).is_empty());
    }

    #[test]
    fn every_kind_and_container_list() {
        let mount = json!([{"name": "sock", "mountPath": "/var/run/docker.sock"}]);
        let spec = json!({
            "initContainers": [{"name": "i", "image": "x", "volumeMounts": mount}],
            "containers": [{"name": "a", "image": "x"}],
            "ephemeralContainers": [{"name": "e", "image": "x", "volumeMounts": mount}],
            "volumes": [{"name": "sock", "hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}}]
        });
        for (kind, y, p) in all_kinds(&spec, &json!({})) {
            assert_eq!(
                sorted(pointers(&run(&RULE, &y))),
                sorted(vec![
                    format!("{p}/initContainers/0/volumeMounts/0"),
                    format!("{p}/ephemeralContainers/0/volumeMounts/0"),
                ]),
                "{kind}"
            );
        }
    }
}
