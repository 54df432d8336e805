//! `/process` parameters, read as the document describes them (API 3,
//! "Start Video Processing").
//!
//! This reading is the sandbox's own: it never asks the client's
//! validation crate what to accept. What the document states is enforced,
//! and a job breaking it fails with error 503 ("Error processing the
//! parameters"); what it does not name is ignored, as servers ignore
//! unknown options (`camera`, listed in the revision history without
//! values, or any parameter added later). Unknown output formats produce
//! no file.

/// The parameters that change what the sandbox does.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct JobParams {
    /// Output formats the sandbox can produce, in the order asked.
    pub formats: Vec<&'static str>,
    /// `model=`.
    pub model: Option<String>,
    /// `sim=1`.
    pub sim: bool,
    /// `trim=from,to` in seconds.
    pub trim: Option<(f64, f64)>,
    /// `render.bgColor=R,G,B,A`: the video's background (RGB).
    pub background: Option<[u8; 3]>,
    /// `render.sbs=1`: the video shows the input beside the render.
    pub side_by_side: bool,
}

/// Output formats the document names: bvh, fbx and mp4 in its example,
/// glb in the introduction, `landmarks.dmpe`, png/jpg for a static pose.
const FORMATS: [&str; 7] = ["bvh", "fbx", "mp4", "glb", "dmpe", "png", "jpg"];

/// What the input is, as far as parameters care.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Input {
    /// A video of this many seconds.
    Video(f64),
    /// A still picture (static pose).
    Picture,
}

/// Reads `params` for `input`; the error says what breaks the document.
pub(super) fn read(params: &[String], input: Input) -> Result<JobParams, String> {
    let mut job = JobParams::default();
    let mut problems = Vec::new();
    for raw in params {
        let Some((key, value)) = raw.split_once('=') else {
            problems.push(format!("{raw:?} is not key=value"));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if let Err(problem) = apply(&mut job, key, value, input) {
            problems.push(format!("{key}: {problem}"));
        }
    }
    if problems.is_empty() {
        Ok(job)
    } else {
        Err(problems.join("; "))
    }
}

fn apply(job: &mut JobParams, key: &str, value: &str, input: Input) -> Result<(), String> {
    match key {
        "config" | "render.backdrop" => non_empty(value),
        "model" => {
            non_empty(value)?;
            job.model = Some(value.to_owned());
            Ok(())
        }
        "formats" => {
            job.formats = formats(value, input)?;
            Ok(())
        }
        "sim" => {
            job.sim = flag(value)?;
            Ok(())
        }
        "render.sbs" => {
            job.side_by_side = flag(value)?;
            Ok(())
        }
        "render.bgColor" => {
            let [r, g, b, _] = rgba(value)?;
            job.background = Some([r, g, b]);
            Ok(())
        }
        "trackFace" | "trackHand" | "rootAtOrigin" | "render.shadow" | "render.includeAudio" => {
            flag(value).map(drop)
        }
        "footLockingMode" | "poseEstimation.footLockingMode" => match value {
            "auto" | "always" | "never" | "grounding" => Ok(()),
            _ => Err(format!("{value:?} is not auto, always, never or grounding")),
        },
        "videoSpeedMultiplier" | "poseEstimation.videoSpeedMultiplier" => in_range(value, 1.0, 8.0),
        "poseFilteringStrength" | "poseEstimation.poseFilteringStrength" => {
            in_range(value, 0.0, 1.0)
        }
        "trim" => {
            job.trim = Some(trim(value, input)?);
            Ok(())
        }
        "crop" => crop(value),
        "render.CamMode" => match value {
            "0" | "1" | "2" => Ok(()),
            _ => Err(format!("{value:?} is not 0, 1 or 2")),
        },
        // Not in the document (or named without values): ignored.
        _ => Ok(()),
    }
}

fn non_empty(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("empty value".into())
    } else {
        Ok(())
    }
}

fn flag(value: &str) -> Result<bool, String> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{value:?} is not 0 or 1")),
    }
}

fn number(value: &str) -> Result<f64, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("{value:?} is not a number"))
}

fn in_range(value: &str, min: f64, max: f64) -> Result<(), String> {
    let n = number(value)?;
    if (min..=max).contains(&n) {
        Ok(())
    } else {
        Err(format!("{n} is outside {min} - {max}"))
    }
}

fn list(value: &str, count: usize) -> Result<Vec<f64>, String> {
    let items: Vec<f64> = value
        .split(',')
        .map(|item| number(item.trim()))
        .collect::<Result<_, _>>()?;
    if items.len() == count {
        Ok(items)
    } else {
        Err(format!("{value:?} does not have {count} numbers"))
    }
}

fn formats(value: &str, input: Input) -> Result<Vec<&'static str>, String> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!("{value:?} has an empty format"));
        }
        let Some(known) = FORMATS.iter().find(|f| f.eq_ignore_ascii_case(item)) else {
            continue;
        };
        if matches!(*known, "png" | "jpg") && input != Input::Picture {
            return Err(format!("{known} is for a static pose (an image input)"));
        }
        if !out.contains(known) {
            out.push(*known);
        }
    }
    Ok(out)
}

fn trim(value: &str, input: Input) -> Result<(f64, f64), String> {
    let Input::Video(duration) = input else {
        return Err("trim is for a video input only".into());
    };
    let t = list(value, 2)?;
    let (from, to) = (t[0], t[1]);
    if from < 0.0 || from >= to {
        return Err(format!("{value:?} is not from,to with 0 <= from < to"));
    }
    if to > duration {
        return Err(format!("{value:?} ends after the video ({duration} s)"));
    }
    Ok((from, to))
}

fn crop(value: &str) -> Result<(), String> {
    let c = list(value, 4)?;
    let normalized = c.iter().all(|v| (0.0..=1.0).contains(v));
    if normalized && c[0] < c[2] && c[1] < c[3] {
        Ok(())
    } else {
        Err(format!(
            "{value:?} is not left,top,right,bottom in 0-1 with left < right and top < bottom"
        ))
    }
}

fn rgba(value: &str) -> Result<[u8; 4], String> {
    let channels: Vec<u8> = value
        .split(',')
        .map(|c| c.trim().parse::<u8>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("{value:?} is not R,G,B,A with each in 0-255"))?;
    <[u8; 4]>::try_from(channels)
        .map_err(|_| format!("{value:?} is not R,G,B,A with each in 0-255"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_video(params: &[&str]) -> Result<JobParams, String> {
        let params: Vec<String> = params.iter().map(|p| (*p).to_owned()).collect();
        read(&params, Input::Video(3.0))
    }

    #[test]
    fn the_documents_examples_are_accepted() {
        let job = read_video(&[
            "config=configDefault",
            "formats=bvh,fbx,mp4",
            "model=m1",
            "sim=1",
            "trackFace=1",
            "trackHand=0",
            "poseEstimation.footLockingMode=grounding",
            "videoSpeedMultiplier=2",
            "poseFilteringStrength=0.5",
            "rootAtOrigin=1",
            "trim=1,2.6",
            "crop=0.239,0.121,0.742,0.981",
            "render.sbs=0",
            "render.bgColor=0,177,64,0",
            "render.backdrop=studio",
            "render.shadow=1",
            "render.includeAudio=0",
            "render.CamMode=2",
        ])
        .unwrap();
        assert_eq!(job.formats, ["bvh", "fbx", "mp4"]);
        assert_eq!(job.trim, Some((1.0, 2.6)));
        assert_eq!(job.background, Some([0, 177, 64]));
        assert!(job.sim);
    }

    #[test]
    fn what_the_document_does_not_name_is_ignored() {
        let job = read_video(&["camera=1", "futureOption=x", "formats=bvh,usdz"]).unwrap();
        assert_eq!(job.formats, ["bvh"]);
    }

    #[test]
    fn what_breaks_the_document_is_refused() {
        for bad in [
            "sim=2",
            "videoSpeedMultiplier=9",
            "poseFilteringStrength=-1",
            "footLockingMode=sometimes",
            "trim=2,1",
            "trim=1,9",
            "crop=0.5,0,0.5,1",
            "render.bgColor=0,0,0",
            "render.CamMode=3",
            "formats=png",
            "nonsense",
        ] {
            assert!(read_video(&[bad]).is_err(), "{bad}");
        }
        let picture = read(&["trim=0,1".into()], Input::Picture);
        assert!(picture.is_err());
        let pose = read(&["formats=bvh,png".into()], Input::Picture).unwrap();
        assert_eq!(pose.formats, ["bvh", "png"]);
    }
}
