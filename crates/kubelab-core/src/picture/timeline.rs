//! `timeline(selector)`: each pod's creation → Ready as a bar on one time axis, read from the
//! cluster (creationTimestamp and the Ready condition's lastTransitionTime), so it can be drawn
//! any time after a watch. With OrderedReady every bar starts where the one above turned Ready.

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use kube::ResourceExt;

use super::{Error, Picture, PictureData, PictureKind, Svg, AMBER, GREEN, GREY};
use crate::facts::{self, read};
use crate::Lab;

/// One pod's bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    /// Pod name.
    pub pod: String,
    /// Created.
    pub created: DateTime<Utc>,
    /// Became Ready (None: not Ready now).
    pub ready: Option<DateTime<Utc>>,
}

/// The bars of the pods a selector matches, in ordinal order, on one axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// The label selector.
    pub selector: String,
    /// One bar per pod.
    pub bars: Vec<Bar>,
    /// The axis starts at the first creation...
    pub start: DateTime<Utc>,
    /// ... and ends a second after the last Ready (or now, while a pod is not Ready).
    pub end: DateTime<Utc>,
}

/// Columns of the text axis.
const COLS: usize = 40;

impl Timeline {
    /// The model from the pods (`now` ends the axis while a pod is not Ready).
    pub fn build(selector: &str, pods: &[Pod], now: DateTime<Utc>) -> Option<Timeline> {
        let mut pods = pods.to_vec();
        facts::sort_by_ordinal(&mut pods);
        let bars: Vec<Bar> = pods
            .iter()
            .filter_map(|p| {
                Some(Bar {
                    pod: p.name_any(),
                    created: facts::created(p)?,
                    ready: if p.metadata.deletion_timestamp.is_some() {
                        None
                    } else {
                        facts::ready_since(p)
                    },
                })
            })
            .collect();
        let start = bars.iter().map(|b| b.created).min()?;
        let end = if bars.iter().all(|b| b.ready.is_some()) {
            bars.iter()
                .map(|b| b.ready.unwrap_or(b.created).max(b.created))
                .max()?
                + chrono::Duration::seconds(1)
        } else {
            now.max(start + chrono::Duration::seconds(1))
        };
        Some(Timeline {
            selector: selector.to_string(),
            bars,
            start,
            end,
        })
    }

    fn span(&self) -> f64 {
        ((self.end - self.start).num_milliseconds() as f64 / 1000.0).max(1.0)
    }

    fn at(&self, t: DateTime<Utc>) -> f64 {
        ((t - self.start).num_milliseconds() as f64 / 1000.0).clamp(0.0, self.span())
    }

    fn secs(&self, t: DateTime<Utc>) -> i64 {
        facts::secs_between(self.start, t)
    }

    /// Tick step in seconds: at most five ticks.
    fn step(&self) -> i64 {
        [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400,
        ]
        .into_iter()
        .find(|s| self.span() / *s as f64 <= 5.0)
        .unwrap_or(86400)
    }

    /// What each bar shows about its predecessor: created after its Ready (OrderedReady), before
    /// it, or re-created later than it.
    pub fn gating(&self) -> Vec<String> {
        self.bars
            .windows(2)
            .filter(|w| facts::ordinal(&w[1].pod) == facts::ordinal(&w[0].pod).wrapping_add(1))
            .map(|w| {
                let (p, q) = (&w[0], &w[1]);
                if p.created > q.created {
                    format!(
                        "{} 파드는 {} 파드보다 나중에 다시 만들어졌습니다",
                        p.pod, q.pod
                    )
                } else {
                    match p.ready {
                        None => format!("{} 파드가 아직 Ready가 아닙니다", p.pod),
                        Some(r) if q.created >= r => format!(
                            "{} 파드는 {} 파드가 Ready가 된 뒤(+{}초)에 만들어졌습니다",
                            q.pod,
                            p.pod,
                            facts::secs_between(r, q.created)
                        ),
                        Some(r) => format!(
                            "{} 파드는 {} 파드가 Ready가 되기 {}초 전에 만들어졌습니다",
                            q.pod,
                            p.pod,
                            facts::secs_between(q.created, r)
                        ),
                    }
                }
            })
            .collect()
    }

    fn label(&self, b: &Bar) -> String {
        match b.ready {
            Some(r) => format!(
                "생성 +{}초 → Ready +{}초",
                self.secs(b.created),
                self.secs(r)
            ),
            None => format!("생성 +{}초 → 아직 Ready 아님", self.secs(b.created)),
        }
    }

    /// The text drawing.
    pub fn to_text(&self) -> String {
        let name_w = self
            .bars
            .iter()
            .map(|b| b.pod.len())
            .max()
            .unwrap_or(0)
            .max(8)
            + 2;
        let col = |t: DateTime<Utc>| ((self.at(t) / self.span()) * COLS as f64).round() as usize;
        let step = self.step();
        let mut axis = vec![b' '; COLS + 8];
        let mut ruler = vec![b'-'; COLS + 1];
        let mut s = 0;
        while s as f64 <= self.span() {
            let c = ((s as f64 / self.span()) * COLS as f64).round() as usize;
            let label = format!("{s}s");
            if c + label.len() <= axis.len()
                && axis[c..c + label.len()].iter().all(|x| *x == b' ')
                && (c == 0 || axis[c - 1] == b' ')
            {
                axis[c..c + label.len()].copy_from_slice(label.as_bytes());
            }
            ruler[c.min(COLS)] = b'|';
            s += step;
        }
        let pad = " ".repeat(name_w);
        let mut o = vec![
            format!("{pad}{}", String::from_utf8_lossy(&axis).trim_end()),
            format!("{pad}{}", String::from_utf8_lossy(&ruler)),
        ];
        for b in &self.bars {
            let mut line = vec![b' '; COLS + 1];
            let c0 = col(b.created).min(COLS);
            let cr = b.ready.map(|r| col(r).clamp(c0, COLS));
            let wait_to = cr.unwrap_or(COLS + 1);
            for x in line.iter_mut().take(wait_to).skip(c0 + 1) {
                *x = b'-';
            }
            if let Some(cr) = cr {
                for x in line.iter_mut().skip(cr + 1) {
                    *x = b'=';
                }
                line[cr] = b'*';
            }
            if cr != Some(c0) {
                line[c0] = b'o';
            }
            o.push(format!(
                "{:<name_w$}{}  {}",
                b.pod,
                String::from_utf8_lossy(&line),
                self.label(b)
            ));
        }
        o.push(String::new());
        o.push("o 생성   - Ready를 기다림   * Ready가 됨   = Ready 상태".into());
        o.extend(self.gating());
        o.join("\n")
    }

    /// The SVG drawing.
    pub fn to_svg(&self) -> String {
        const LEFT: f64 = 100.0;
        const PLOT: f64 = 440.0;
        const ROW: f64 = 30.0;
        const TOP: f64 = 40.0;
        let gating = self.gating();
        let rows = self.bars.len() as f64;
        let height = TOP + rows * ROW + 30.0 + gating.len() as f64 * 18.0 + 10.0;
        let width = LEFT + PLOT + 230.0;
        let x = |t: DateTime<Utc>| LEFT + self.at(t) / self.span() * PLOT;
        let mut svg = Svg::new(width as u32, height.ceil() as u32);
        svg.text(
            10.0,
            16.0,
            12,
            "#24292f",
            "start",
            true,
            &format!("파드 {}: 생성 → Ready (초)", self.selector),
        );
        let step = self.step();
        let mut s = 0;
        while s as f64 <= self.span() {
            let tx = LEFT + s as f64 / self.span() * PLOT;
            svg.line(tx, TOP - 8.0, tx, TOP + rows * ROW, "#d0d7de", false, false);
            svg.text(tx, TOP - 12.0, 10, GREY, "middle", false, &format!("{s}s"));
            s += step;
        }
        let cy = |i: usize| TOP + i as f64 * ROW + ROW / 2.0;
        for (i, b) in self.bars.iter().enumerate() {
            let y = cy(i);
            svg.text(10.0, y + 4.0, 12, "#24292f", "start", true, &b.pod);
            let xc = x(b.created);
            let xr = b.ready.map(&x).unwrap_or(LEFT + PLOT).max(xc);
            if xr > xc {
                svg.rect(xc, y - 6.0, xr - xc, 12.0, "#fff8c5", AMBER, false);
            }
            if b.ready.is_some() && LEFT + PLOT > xr {
                svg.rect(xr, y - 6.0, LEFT + PLOT - xr, 12.0, "#dafbe1", GREEN, false);
            }
            svg.circle(xc, y, 5.0, GREY, false);
            if b.ready.is_some() {
                svg.circle(xr, y, 5.0, GREEN, true);
            }
            svg.text(
                LEFT + PLOT + 12.0,
                y + 4.0,
                11,
                GREY,
                "start",
                false,
                &self.label(b),
            );
        }
        // the OrderedReady gate: from a pod's Ready to its successor's creation
        for (i, w) in self.bars.windows(2).enumerate() {
            if let Some(r) = w[0].ready {
                if facts::ordinal(&w[1].pod) == facts::ordinal(&w[0].pod).wrapping_add(1)
                    && w[1].created >= r
                    && w[0].created <= w[1].created
                {
                    svg.line(
                        x(r),
                        cy(i) + 5.0,
                        x(w[1].created),
                        cy(i + 1) - 6.0,
                        GREY,
                        true,
                        true,
                    );
                }
            }
        }
        let mut y = TOP + rows * ROW + 20.0;
        svg.circle(LEFT, y - 4.0, 4.0, GREY, false);
        svg.text(LEFT + 8.0, y, 11, GREY, "start", false, "생성");
        svg.rect(LEFT + 50.0, y - 10.0, 24.0, 10.0, "#fff8c5", AMBER, false);
        svg.text(LEFT + 80.0, y, 11, GREY, "start", false, "Ready를 기다림");
        svg.circle(LEFT + 180.0, y - 4.0, 4.0, GREEN, true);
        svg.rect(LEFT + 190.0, y - 10.0, 24.0, 10.0, "#dafbe1", GREEN, false);
        svg.text(LEFT + 220.0, y, 11, GREY, "start", false, "Ready");
        svg.text(
            LEFT + 270.0,
            y,
            11,
            GREY,
            "start",
            false,
            "점선: 앞 파드의 Ready → 다음 파드 생성",
        );
        for g in &gating {
            y += 18.0;
            svg.text(10.0, y, 12, "#24292f", "start", false, g);
        }
        svg.finish(&format!("파드 {} 타임라인", self.selector))
    }

    /// The picture.
    pub fn picture(&self) -> Picture {
        Picture {
            data: PictureData {
                kind: PictureKind::Timeline,
                pods: self.bars.iter().map(|b| b.pod.clone()).collect(),
            },
            text: self.to_text(),
            svg: self.to_svg(),
        }
    }
}

impl Lab {
    /// `timeline(selector)`: creation → Ready of the selected pods, as they are in the cluster now.
    pub async fn timeline(&self, selector: &str) -> crate::Result<Picture> {
        crate::out::cmd(&format!(
            "kubectl get pods -l {selector} -o custom-columns='NAME:.metadata.name,CREATED:.metadata.creationTimestamp,READY-SINCE:.status.conditions[?(@.type==\"Ready\")].lastTransitionTime'"
        ));
        let api: Api<Pod> = Api::default_namespaced(self.client().clone());
        let pods = read(
            &format!("kubectl get pods -l {selector}"),
            api.list(&ListParams::default().labels(selector)),
        )
        .await
        .map_err(Error::from)?;
        let t =
            Timeline::build(selector, &pods.items, Utc::now()).ok_or_else(|| Error::NoPods {
                selector: selector.to_string(),
            })?;
        Ok(t.picture())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(name: &str, created: &str, ready: Option<&str>) -> Pod {
        let cond = match ready {
            Some(t) => json!([{"type": "Ready", "status": "True", "lastTransitionTime": t}]),
            None => json!([{"type": "Ready", "status": "False", "lastTransitionTime": created}]),
        };
        serde_json::from_value(
            json!({"metadata": {"name": name, "creationTimestamp": created},
            "spec": {"containers": [{"name": "mysql"}]}, "status": {"conditions": cond}}),
        )
        .unwrap()
    }

    fn ordered() -> Timeline {
        let pods = [
            pod(
                "mysql-2",
                "2026-01-01T00:00:08Z",
                Some("2026-01-01T00:00:11Z"),
            ),
            pod(
                "mysql-0",
                "2026-01-01T00:00:00Z",
                Some("2026-01-01T00:00:04Z"),
            ),
            pod(
                "mysql-1",
                "2026-01-01T00:00:04Z",
                Some("2026-01-01T00:00:08Z"),
            ),
        ];
        Timeline::build("app=mysql", &pods, Utc::now()).unwrap()
    }

    #[test]
    fn text_drawing_is_the_golden_one() {
        let want = [
            "          0s               5s              10s",
            "          |----------------|---------------|-------",
            "mysql-0   o------------*===========================  생성 +0초 → Ready +4초",
            "mysql-1                o-------------*=============  생성 +4초 → Ready +8초",
            "mysql-2                              o---------*===  생성 +8초 → Ready +11초",
            "",
            "o 생성   - Ready를 기다림   * Ready가 됨   = Ready 상태",
            "mysql-1 파드는 mysql-0 파드가 Ready가 된 뒤(+0초)에 만들어졌습니다",
            "mysql-2 파드는 mysql-1 파드가 Ready가 된 뒤(+0초)에 만들어졌습니다",
        ]
        .join("\n");
        assert_eq!(ordered().to_text(), want);
    }

    #[test]
    fn a_pod_not_ready_runs_to_now_and_a_parallel_one_is_named() {
        let pods = [
            pod(
                "mysql-0",
                "2026-01-01T00:00:00Z",
                Some("2026-01-01T00:00:04Z"),
            ),
            pod("mysql-1", "2026-01-01T00:00:01Z", None),
        ];
        let now = "2026-01-01T00:00:10Z".parse().unwrap();
        let t = Timeline::build("app=mysql", &pods, now).unwrap();
        let text = t.to_text();
        assert!(text.contains("생성 +1초 → 아직 Ready 아님"), "{text}");
        assert!(
            text.contains("mysql-1 파드는 mysql-0 파드가 Ready가 되기 3초 전에 만들어졌습니다"),
            "{text}"
        );
    }

    #[test]
    fn svg_has_a_bar_per_pod_and_the_gates() {
        let svg = ordered().to_svg();
        for p in ["mysql-0", "mysql-1", "mysql-2"] {
            assert!(svg.contains(&format!(">{p}</text>")), "{p} in {svg}");
        }
        assert_eq!(svg.matches("marker-end").count(), 2, "two gates: {svg}");
        assert!(!svg.contains("<script"));
    }
}
