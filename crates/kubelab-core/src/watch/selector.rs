//! A selector that can never match: when `watch_pods` sees no pod for a while, it checks that some
//! StatefulSet's pod template carries the selector's labels, so a typo fails in seconds with the
//! labels that exist instead of at the timeout.

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::ResourceExt;

use crate::error::wait::Error;
use crate::error::Result;
use crate::lab::Lab;

/// `app=mysql,tier=db` as pairs; `None` for selectors with other operators.
pub(crate) fn equality_labels(selector: &str) -> Option<Vec<(String, String)>> {
    selector
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once("==").or_else(|| p.split_once('='))?;
            (!k.contains('!') && !k.contains(' '))
                .then(|| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

impl Lab {
    /// Whether anything could still produce pods for `selector`: `Err` when no pod matches and no
    /// StatefulSet's pod template carries those labels. Selectors other than `k=v,...` are trusted.
    pub(crate) async fn check_selector_can_match(&self, selector: &str) -> Result<()> {
        let Some(wanted) = equality_labels(selector) else {
            return Ok(());
        };
        let sets = self
            .call(
                "list statefulsets",
                self.api::<StatefulSet>().list(&ListParams::default()),
            )
            .await?;
        let feeds = sets.items.iter().any(|s| {
            let labels = s
                .spec
                .template
                .metadata
                .as_ref()
                .and_then(|m| m.labels.as_ref());
            labels.is_some_and(|l| wanted.iter().all(|(k, v)| l.get(k) == Some(v)))
        });
        if feeds {
            return Ok(());
        }
        let pods = self
            .call("list pods", self.api::<Pod>().list(&ListParams::default()))
            .await?;
        let mut existing: Vec<String> = pods
            .items
            .iter()
            .map(|p| {
                let labels: Vec<String> =
                    p.labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("{}: {}", p.name_any(), labels.join(","))
            })
            .collect();
        existing.sort();
        Err(Error::NoMatch {
            selector: selector.to_string(),
            existing: if existing.is_empty() {
                "(없음)".into()
            } else {
                existing.join("; ")
            },
        }
        .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_selectors_and_the_no_match_message() {
        assert_eq!(
            equality_labels("app=mysql, tier==db"),
            Some(vec![
                ("app".into(), "mysql".into()),
                ("tier".into(), "db".into())
            ])
        );
        assert_eq!(equality_labels("app!=web"), None);
        assert_eq!(equality_labels("app in (a,b)"), None);
        let m = format!(
            "{:?}",
            crate::error::Error::from(Error::NoMatch {
                selector: "app=mysqll".into(),
                existing: "mysql-0: app=mysql".into(),
            })
        );
        assert!(
            m.contains("app=mysqll") && m.contains("mysql-0: app=mysql") && m.contains("→"),
            "{m}"
        );
    }
}
