//! One in-process cluster per test, with the real kubectl (a private HOME and discovery cache)
//! and a kube-rs client against it.

use std::path::Path;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use labsim::cluster::{Cluster, Running};
use testkit::{AsyncKubectl, Out};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};

/// A running cluster plus kubectl for it.
pub struct Lab {
    pub running: Running,
    kubectl: AsyncKubectl,
    _state: tempfile::TempDir,
}

impl Lab {
    pub async fn start() -> Lab {
        let state = tempfile::tempdir().unwrap();
        let running = Cluster::start(state.path()).await.unwrap();
        Lab {
            kubectl: AsyncKubectl::new(&running.kubeconfig),
            running,
            _state: state,
        }
    }

    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        self.kubectl.command(args)
    }

    pub async fn kubectl(&self, args: &[&str]) -> Out {
        self.kubectl.run(args).await
    }

    pub async fn kubectl_stdin(&self, args: &[&str], input: &str) -> Out {
        self.kubectl.run_stdin(args, input).await
    }

    /// kubectl running on (e.g. `get -w`): the process and its stdout's lines as they come.
    pub fn stream(&self, args: &[&str]) -> (Child, Lines<BufReader<ChildStdout>>) {
        let mut child = self
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        (child, BufReader::new(stdout).lines())
    }

    /// `kubectl apply` of YAML text; must succeed.
    pub async fn apply(&self, yaml: &str) -> String {
        self.kubectl.apply(yaml).await
    }

    /// The stored object `name` of `kind` in `default`, straight from the store.
    pub fn stored(&self, kind: &str, name: &str) -> Option<serde_json::Value> {
        let rt = labsim::resources::get(kind);
        self.running.store.get(rt, Some("default"), name).ok()
    }

    pub async fn client(&self) -> Client {
        client_for(&self.running.kubeconfig, None).await
    }
}

/// A kube-rs client from a kubeconfig, with another bearer token if given.
pub async fn client_for(kubeconfig: &Path, token: Option<&str>) -> Client {
    let mut kc = Kubeconfig::read_from(kubeconfig).unwrap();
    if let Some(t) = token {
        kc.auth_infos[0].auth_info.as_mut().unwrap().token = Some(t.to_string().into());
    }
    let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    Client::try_from(config).unwrap()
}
