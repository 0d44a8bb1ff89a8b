//! `apply::Error`: reading or applying a manifest (file, YAML position, fields, kind).

/// Errors reading or applying a manifest.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file does not exist (or cannot be read).
    #[error("파일을 찾을 수 없습니다: {path} (현재 디렉터리: {cwd})\n→ 경로를 확인하세요. 상대 경로는 현재 디렉터리 기준입니다.")]
    FileNotFound {
        /// Path as given.
        path: String,
        /// The process's current directory.
        cwd: String,
    },
    /// The YAML does not parse.
    #[error("YAML 문법 오류: {file}:{line}:{column}: {message}\n→ 그 위치의 들여쓰기(스페이스, 탭 금지)와 콜론(:) 뒤 공백을 확인하세요.")]
    Yaml {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// Parser message.
        message: String,
    },
    /// A document lacks apiVersion, kind or metadata.name.
    #[error("{file}의 {index}번째 문서에 {field} 이(가) 없습니다.\n→ 모든 문서에는 apiVersion, kind, metadata.name 이 필요합니다.")]
    MissingField {
        /// File name.
        file: String,
        /// 1-based document index.
        index: usize,
        /// The missing field.
        field: String,
    },
    /// The cluster does not know this apiVersion/kind.
    #[error("{file}: 클러스터가 모르는 종류입니다: apiVersion {api_version}, kind {kind}\n→ apiVersion과 kind의 철자와 대소문자를 확인하세요 (예: StatefulSet은 apps/v1, Service는 v1).")]
    UnknownKind {
        /// File name.
        file: String,
        /// apiVersion given.
        api_version: String,
        /// kind given.
        kind: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_kind_message() {
        let m = Error::UnknownKind {
            file: "m.yaml".into(),
            api_version: "apps/v1".into(),
            kind: "StatefullSet".into(),
        }
        .to_string();
        assert!(
            m.contains("StatefullSet") && m.contains("apiVersion") && m.contains("apps/v1"),
            "{m}"
        );
    }
}
