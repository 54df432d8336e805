//! Multi-person animation, as the official Python SDK dm-animate3d-api
//! 1.0.2 drives it (the API document does not describe it; see the notes
//! in `specs/deepmotion.json`). The sandbox's own reading:
//!
//! - A **detection** job is a new job (`url`) with `pipeline=mp_detection`.
//!   It finds two people, or N when the input's name contains `people-N`
//!   (1 to [`MAX_PEOPLE`]; `crowd-people-3.mp4` has three). Its outputs are
//!   one preview group per person, `<stem>_001`, `<stem>_002`, ... (a JPEG
//!   each), and an intermediate group `inter_tracking` (a JSON file).
//! - An **animation** job gives `rid_mp_detection` (a successful detection
//!   job) instead of `url`, and `models=[{"trackingId": "001", "modelId":
//!   "..."}, ...]`. A tracking id the detection did not produce, a
//!   person named twice, or a missing or malformed `models` is refused with
//!   `400`; a model id that names no model fails the job with 504, as
//!   `model=` does. Its outputs are one group per chosen person
//!   (`<stem>_<id>`, every requested format) and `all_characters`: one ZIP
//!   archive per format holding every person's file of that format.
//! - `/download` says `mode` 1 for both, and `models` for an animation.

use std::io::Write as _;
use std::path::Path;

use motionkit_models::deepmotion::{
    ALL_CHARACTERS_GROUP, INTERMEDIATE_GROUP_PREFIX, PIPELINE_MP_DETECTION,
};
use serde::{Deserialize, Serialize};

use super::store::{Job, Output};

/// Most people a detection reports.
pub(super) const MAX_PEOPLE: u32 = 20;
/// People found when the name does not say.
pub(super) const DEFAULT_PEOPLE: u32 = 2;
/// The intermediate group of a detection.
const INTER_GROUP: &str = "inter_tracking";

/// One element of `models=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PersonModel {
    /// Tracking id from the detection, such as `001`.
    #[serde(rename = "trackingId")]
    pub tracking_id: String,
    /// Character model id.
    #[serde(rename = "modelId")]
    pub model_id: String,
}

/// The value of parameter `key` in `params`, if given.
fn param<'a>(params: &'a [String], key: &str) -> Option<&'a str> {
    params.iter().find_map(|raw| {
        let (k, v) = raw.split_once('=')?;
        (k.trim() == key).then_some(v.trim())
    })
}

/// True for `pipeline=mp_detection`.
pub(super) fn is_detection(params: &[String]) -> bool {
    param(params, "pipeline") == Some(PIPELINE_MP_DETECTION)
}

/// `models=`, read: `None` when absent; an error when malformed, empty or
/// naming a person twice.
pub(super) fn models(params: &[String]) -> Result<Option<Vec<PersonModel>>, String> {
    let Some(raw) = param(params, "models") else {
        return Ok(None);
    };
    let list: Vec<PersonModel> = serde_json::from_str(raw).map_err(|e| {
        format!("`models` is not a JSON list of {{\"trackingId\", \"modelId\"}} ({e}): {raw:?}")
    })?;
    if list.is_empty() {
        return Err("`models` names nobody; give at least one person".into());
    }
    for (i, person) in list.iter().enumerate() {
        if list[..i]
            .iter()
            .any(|p| p.tracking_id == person.tracking_id)
        {
            return Err(format!(
                "`models` names tracking id {:?} twice",
                person.tracking_id
            ));
        }
    }
    Ok(Some(list))
}

/// How many people a video of this name shows: `people-N` in the name,
/// else [`DEFAULT_PEOPLE`].
pub(super) fn people_in(name: &str) -> u32 {
    let lower = name.to_ascii_lowercase();
    lower
        .match_indices("people-")
        .find_map(|(at, _)| {
            let digits: String = lower[at + 7..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u32>().ok()
        })
        .filter(|n| (1..=MAX_PEOPLE).contains(n))
        .unwrap_or(DEFAULT_PEOPLE)
}

/// `001`, `002`, ...
fn tracking_id(n: u32) -> String {
    format!("{n:03}")
}

fn output(rid: &str, group: String, format: &str, file: String) -> Output {
    Output {
        format: format.to_owned(),
        key: format!("outputs/{rid}/{file}"),
        group: Some(group),
    }
}

/// The outputs of a detection of `people` people in the input `stem`.
pub(super) fn detection_outputs(rid: &str, stem: &str, people: u32) -> Vec<Output> {
    let mut out: Vec<Output> = (1..=people)
        .map(|n| {
            let group = format!("{stem}_{}", tracking_id(n));
            let file = format!("{group}.jpg");
            output(rid, group, "jpg", file)
        })
        .collect();
    out.push(output(
        rid,
        INTER_GROUP.to_owned(),
        "json",
        format!("{INTER_GROUP}.json"),
    ));
    out
}

/// The tracking ids a detection job produced: its groups `<stem>_NNN`.
pub(super) fn detected(job: &Job) -> Vec<String> {
    job.outputs
        .iter()
        .filter_map(|o| {
            let group = o.group.as_deref()?;
            let (_, id) = group.rsplit_once('_')?;
            (id.len() == 3 && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_owned())
        })
        .collect()
}

/// The outputs of an animation of `people` in `formats`: each person's
/// files, then one `all_characters` archive per format.
pub(super) fn animation_outputs(
    rid: &str,
    stem: &str,
    formats: &[String],
    people: &[PersonModel],
) -> Vec<Output> {
    let mut out = Vec::new();
    for person in people {
        let group = format!("{stem}_{}", person.tracking_id);
        for format in formats {
            let file = super::outputs::file_name(format, &group);
            out.push(output(rid, group.clone(), format, file));
        }
    }
    for format in formats {
        let file = format!("{ALL_CHARACTERS_GROUP}.{format}");
        out.push(output(rid, ALL_CHARACTERS_GROUP.to_owned(), format, file));
    }
    out
}

/// True for an output written by [`write_special`] rather than by the
/// format writers.
pub(super) fn is_special(output: &Output) -> bool {
    output
        .group
        .as_deref()
        .is_some_and(|g| g == ALL_CHARACTERS_GROUP || g.starts_with(INTERMEDIATE_GROUP_PREFIX))
}

/// Writes an intermediate file or an `all_characters` archive to `path`;
/// `written` gives the files already written for the job's other outputs
/// (object key → local path).
pub(super) fn write_special(
    path: &Path,
    output: &Output,
    job_outputs: &[Output],
    written: &dyn Fn(&str) -> Option<std::path::PathBuf>,
) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    if output.group.as_deref() != Some(ALL_CHARACTERS_GROUP) {
        let people = job_outputs
            .iter()
            .filter(|o| o.group.as_ref().is_some_and(|g| !is_special_group(g)))
            .count();
        writeln!(file, "{{\"sandbox\": true, \"people\": {people}}}")?;
        return file.sync_all();
    }
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for person in job_outputs
        .iter()
        .filter(|o| o.format == output.format && !is_special(o))
    {
        let Some(source) = written(&person.key) else {
            continue;
        };
        let name = person.key.rsplit('/').next().unwrap_or("person");
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        std::io::copy(&mut std::fs::File::open(source)?, &mut zip)?;
    }
    let out = zip.finish().map_err(std::io::Error::other)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()
}

fn is_special_group(group: &str) -> bool {
    group == ALL_CHARACTERS_GROUP || group.starts_with(INTERMEDIATE_GROUP_PREFIX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_from_the_name() {
        assert_eq!(people_in("crowd-people-3.mp4"), 3);
        assert_eq!(people_in("walk.mp4"), DEFAULT_PEOPLE);
        assert_eq!(people_in("People-1-x.mp4"), 1);
        assert_eq!(people_in("people-0.mp4"), DEFAULT_PEOPLE);
        assert_eq!(people_in("people-99.mp4"), DEFAULT_PEOPLE);
    }

    #[test]
    fn models_are_read_as_the_sdk_writes_them() {
        let sdk = vec![r#"models=[{"trackingId": "001", "modelId": "m"}]"#.to_owned()];
        assert_eq!(models(&sdk).unwrap().unwrap()[0].tracking_id, "001");
        assert_eq!(models(&[]).unwrap(), None);
        assert!(models(&["models=[]".to_owned()]).is_err());
        assert!(models(&["models=001".to_owned()]).is_err());
        let twice = r#"models=[{"trackingId":"1","modelId":"a"},{"trackingId":"1","modelId":"b"}]"#;
        assert!(models(&[twice.to_owned()]).unwrap_err().contains("twice"));
        assert!(is_detection(&["pipeline=mp_detection".to_owned()]));
    }
}
