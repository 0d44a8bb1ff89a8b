//! `Lab`: a kube `Client` for the guarded lab context (namespace `default`), connected and checked,
//! and how its API calls fail (timeouts, unreachable server, refused requests). Every lab step is
//! an `impl Lab` in the file named for it.

use std::time::Duration;

use kube::config::{Config, KubeConfigOptions};
use kube::Client;

use crate::context::{self, ClusterKind, ContextInfo};
use crate::error::cluster::Error as ClusterError;
use crate::error::objects::Error as ObjError;
use crate::error::{Error, Result};

pub use crate::deadline::{in_time, API_TIMEOUT};

/// A connected lab: one kube client for the current (guarded) context, namespace `default`.
/// Build it inside the runtime that will use it (`Lab::connect().await`).
pub struct Lab {
    pub(crate) client: Client,
    pub(crate) ctx: ContextInfo,
    pub(crate) kind: ClusterKind,
    pub(crate) version: String,
}

/// The namespace the lab works in.
pub const NAMESPACE: &str = "default";

impl Lab {
    /// Connects to the current kube context after the lab-cluster guard, and checks that the API
    /// server answers (short timeout).
    pub async fn connect() -> Result<Lab> {
        let (kc, ctx, kind) = context::load_guarded()?;
        let opts = KubeConfigOptions {
            context: Some(ctx.name.clone()),
            ..Default::default()
        };
        let mut cfg = Config::from_custom_kubeconfig(kc, &opts)
            .await
            .map_err(|e| ClusterError::NoKubeconfig {
                location: context::kubeconfig_location(),
                detail: e.to_string(),
            })?;
        cfg.connect_timeout = Some(Duration::from_secs(5));
        cfg.default_namespace = NAMESPACE.to_string();
        let unreachable = |detail: String| ClusterError::Unreachable {
            context: ctx.name.clone(),
            server: ctx.server.clone(),
            detail,
        };
        let client = Client::try_from(cfg).map_err(|e| unreachable(e.to_string()))?;
        let version =
            match tokio::time::timeout(Duration::from_secs(8), client.apiserver_version()).await {
                Ok(Ok(v)) => v.git_version,
                Ok(Err(e)) => return Err(unreachable(e.to_string()).into()),
                Err(_) => return Err(unreachable("8초 안에 응답이 없습니다".into()).into()),
            };
        Ok(Lab {
            client,
            ctx,
            kind,
            version,
        })
    }

    /// The kube client (for your own kube-rs calls).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The context this lab acts on.
    pub fn context(&self) -> &ContextInfo {
        &self.ctx
    }

    /// minikube, labsim or other.
    pub fn kind(&self) -> ClusterKind {
        self.kind
    }

    /// Turns a kube error into a kubelab error: connection problems name the server.
    pub(crate) fn err(&self, e: kube::Error, action: &str) -> Error {
        match e {
            kube::Error::Api(s) => ObjError::Api {
                action: action.to_string(),
                message: format!("{} ({})", s.message, s.code),
            }
            .into(),
            kube::Error::HyperError(_)
            | kube::Error::Service(_)
            | kube::Error::UpgradeConnection(_) => ClusterError::Unreachable {
                context: self.ctx.name.clone(),
                server: self.ctx.server.clone(),
                detail: e.to_string(),
            }
            .into(),
            other => ObjError::Api {
                action: action.to_string(),
                message: other.to_string(),
            }
            .into(),
        }
    }

    /// The error of an API call that got no answer in time (`late` says so).
    fn err_timeout(&self, action: &str, late: String) -> Error {
        ClusterError::Unreachable {
            context: self.ctx.name.clone(),
            server: self.ctx.server.clone(),
            detail: format!("{action}: {late}"),
        }
        .into()
    }

    /// Runs one API call with `API_TIMEOUT`, classifying errors. Every API read and write of
    /// the crate goes through here (or `call_raw`, for callers that handle some statuses).
    pub(crate) async fn call<T, F>(&self, action: &str, fut: F) -> Result<T>
    where
        F: std::future::Future<Output = kube::Result<T>>,
    {
        self.call_raw(action, fut)
            .await?
            .map_err(|e| self.err(e, action))
    }

    /// One API call with `API_TIMEOUT`: no answer in time is the error; the API's own answer,
    /// success or failure, is the caller's to read (a 404 that means "absent", ...).
    pub(crate) async fn call_raw<T, F>(&self, action: &str, fut: F) -> Result<kube::Result<T>>
    where
        F: std::future::Future<Output = kube::Result<T>>,
    {
        in_time(fut)
            .await
            .map_err(|late| self.err_timeout(action, late))
    }
}

/// True for a kube 404.
pub(crate) fn is_not_found(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if s.code == 404)
}
