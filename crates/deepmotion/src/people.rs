//! Multi-person animation in two steps, as the official Python SDK
//! dm-animate3d-api 1.0.2 runs it (the API document does not describe it;
//! see the notes in `specs/deepmotion.json`):
//!
//! 1. [`DetectPeople`] uploads a video, runs a detection job
//!    (`pipeline=mp_detection`), waits, and reads the people it found
//!    ([`Detection`]: a tracking id and the preview files of each); with
//!    [`DetectPeople::previews`] it saves the previews.
//! 2. [`AnimatePeople`] animates chosen people of a detection, each with a
//!    character model (`rid_mp_detection` and `models=`), with the usual
//!    [`ProcessParams`], waits, and downloads each person's files and the
//!    `all_characters` archives (saved as `all_characters.fbx.zip`, or
//!    extracted with [`AnimatePeople::unzip`]). Intermediate groups
//!    (`inter*`) are not downloaded.
//!
//! Before any request, an empty selection or a person named twice is an
//! error, and before `POST /process` a tracking id the detection did not
//! report is an error and a model id missing from `listModels` is the
//! documented failure 504 (refused unless forced). Both steps resume as
//! [`Animate`] does: a submission announced with
//! [`AnimateEvent::Submitting`] is looked up, never sent again, and an
//! animation whose rid is known ([`AnimatePeople::rid`]) is only waited
//! for and downloaded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use motionkit_models::deepmotion::{ALL_CHARACTERS_GROUP, INTERMEDIATE_GROUP_PREFIX};
use motionkit_transport::{OnExisting, UploadOptions};
use motionkit_validation::{PersonModel, Pipeline, ProcessParams, Rule, Violation, keys};

use crate::animate::{Animate, AnimateEvent, EventFn, SaveOutputs, adopt, announce, follow};
use crate::client::Client;
use crate::error::Error;
use crate::process::Process;
use crate::resume::ResumeState;
use crate::submission::PendingSubmission;
use motionkit_transport::WaitOptions;

/// One person a detection found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedPerson {
    /// The tracking id (`001`, `002`, ...), to name in [`AnimatePeople::person`].
    pub tracking_id: String,
    /// The output group of the person's previews (`<name>_001`).
    pub group: String,
    /// `(file type, signed URL)` of each preview file.
    pub previews: Vec<(String, String)>,
    /// The previews saved by [`DetectPeople::previews`].
    pub saved: Vec<PathBuf>,
}

/// A finished detection job and the people it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// The detection job's rid: `rid_mp_detection` of the animation.
    pub rid: String,
    /// The name its input was uploaded under (`fileName` in `/list`).
    pub input_name: Option<String>,
    /// The people, in tracking id order.
    pub people: Vec<DetectedPerson>,
}

/// The tracking id of a per-person group `<name>_NNN` (an underscore and
/// three digits, the SDK's `ends_with_mp_tracked_id`).
pub fn tracking_id_of(group: &str) -> Option<&str> {
    let (_, id) = group.rsplit_once('_')?;
    (id.len() == 3 && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

impl Client {
    /// The people the finished detection job `rid` found, from its
    /// `/download` groups `<name>_NNN` (intermediate `inter*` groups and
    /// others left out). [`Error::UnknownJob`] when the server does not
    /// know it, [`Error::NothingToDownload`] when it has not succeeded.
    pub async fn detection(&self, rid: &str) -> Result<Detection, Error> {
        let link = self.download_link(rid).await?;
        let groups = link.urls.unwrap_or_default();
        if groups.is_empty() {
            return Err(Error::NothingToDownload {
                rid: rid.to_owned(),
            });
        }
        let mut people: Vec<DetectedPerson> = groups
            .into_iter()
            .filter_map(|item| {
                let group = item.name?;
                if group.starts_with(INTERMEDIATE_GROUP_PREFIX) {
                    return None;
                }
                let tracking_id = tracking_id_of(&group)?.to_owned();
                let previews = item
                    .files
                    .into_iter()
                    .flat_map(|map| map.into_iter())
                    .collect();
                Some(DetectedPerson {
                    tracking_id,
                    group,
                    previews,
                    saved: Vec::new(),
                })
            })
            .collect();
        people.sort_by(|a, b| a.tracking_id.cmp(&b.tracking_id));
        Ok(Detection {
            rid: rid.to_owned(),
            input_name: link.name,
            people,
        })
    }
}

/// Upload a video, detect the people in it, wait, and list them (step 1).
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::DetectPeople;
///
/// let detection = DetectPeople::new("crowd.mp4").previews("out/").send(client).await?;
/// for person in &detection.people {
///     println!("{} {:?}", person.tracking_id, person.saved);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DetectPeople {
    job: Animate,
    previews: Option<PathBuf>,
    on_existing: OnExisting,
    events: Option<EventFn>,
}

impl std::fmt::Debug for DetectPeople {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetectPeople")
            .field("job", &self.job)
            .field("previews", &self.previews)
            .finish_non_exhaustive()
    }
}

impl DetectPeople {
    /// Detect the people in `video`.
    pub fn new(video: impl Into<PathBuf>) -> Self {
        DetectPeople {
            job: Animate::new(video, PathBuf::new())
                .params(ProcessParams::new().pipeline(Pipeline::MpDetection)),
            previews: None,
            on_existing: OnExisting::default(),
            events: None,
        }
    }

    /// Saves every person's previews into `dir`.
    pub fn previews(mut self, dir: impl Into<PathBuf>) -> Self {
        self.previews = Some(dir.into());
        self
    }

    /// What to do when a preview's name is taken.
    pub fn on_existing(mut self, on_existing: OnExisting) -> Self {
        self.on_existing = on_existing;
        self
    }

    /// How to wait for the job.
    pub fn wait_options(mut self, wait: WaitOptions) -> Self {
        self.job = self.job.wait_options(wait);
        self
    }

    /// Upload chunk size and content type.
    pub fn upload_options(mut self, upload: UploadOptions) -> Self {
        self.job = self.job.upload_options(upload);
        self
    }

    /// Goes on with an upload an earlier run started (see [`Animate::resume`]).
    pub fn resume(mut self, state: impl Into<Option<ResumeState>>) -> Self {
        self.job = self.job.resume(state);
        self
    }

    /// The detection submission an earlier run announced (see
    /// [`Animate::submission`]): looked up, never sent again.
    pub fn submission(mut self, pending: impl Into<Option<PendingSubmission>>) -> Self {
        self.job = self.job.submission(pending);
        self
    }

    /// Receives progress events, as [`Animate::on_event`].
    pub fn on_event(mut self, events: impl Fn(AnimateEvent) + Send + Sync + 'static) -> Self {
        let events: EventFn = Arc::new(events);
        let forward = events.clone();
        self.job = self.job.on_event(move |event| forward(event));
        self.events = Some(events);
        self
    }

    /// Uploads, detects, waits, reads the people and saves their previews
    /// when asked.
    pub async fn send(&self, client: &Client) -> Result<Detection, Error> {
        let rid = self.job.run_job(client).await?;
        let mut detection = client.detection(&rid).await?;
        if let Some(dir) = &self.previews {
            for person in &mut detection.people {
                let input = detection.input_name.as_deref();
                let save = self.on_existing.into();
                person.saved =
                    save_files(client, &person.previews, input, dir, save, &self.events).await?;
            }
        }
        Ok(detection)
    }
}

/// Downloads `(kind, url)` files into `dir`, under the server's names
/// (with the input's own stem for a name carrying its unique upload name,
/// see [`output_file_name`](crate::output_file_name)), emitting
/// [`AnimateEvent::Download`] and [`AnimateEvent::Saved`].
async fn save_files(
    client: &Client,
    files: &[(String, String)],
    input_name: Option<&str>,
    dir: &Path,
    save: SaveOutputs,
    events: &Option<EventFn>,
) -> Result<Vec<PathBuf>, Error> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|source| Error::Io {
            context: format!("creating {}", dir.display()),
            source,
        })?;
    let mut saved = Vec::with_capacity(files.len());
    for (kind, url) in files {
        let name = input_name.and_then(|input| crate::submission::output_file_name(url, input));
        let mut options = save.options(name);
        if let Some(events) = events.clone() {
            let kind = kind.clone();
            options.progress = Some(Arc::new(move |progress| {
                events(AnimateEvent::Download {
                    kind: kind.clone(),
                    progress,
                })
            }));
        }
        let report = client.transport().download(url, dir, &options).await?;
        if let Some(events) = events {
            events(AnimateEvent::Saved {
                path: report.path.clone(),
                renamed_from: report.renamed_from.clone(),
            });
        }
        saved.push(report.path);
    }
    Ok(saved)
}

/// A finished multi-person animation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleAnimation {
    /// The animation job's rid.
    pub rid: String,
    /// Each animated person's tracking id and saved files.
    pub people: Vec<(String, Vec<PathBuf>)>,
    /// The `all_characters` archives (or their folders, extracted).
    pub all_characters: Vec<PathBuf>,
}

/// Animate chosen people of a detection, each with a character model, wait
/// and download (step 2).
///
/// ```no_run
/// # async fn demo(client: &motionkit_deepmotion::Client) -> Result<(), motionkit_deepmotion::Error> {
/// use motionkit_deepmotion::AnimatePeople;
/// use motionkit_validation::{OutputFormat, ProcessParams};
///
/// let done = AnimatePeople::new("1234-5678-9", "out/")
///     .person("001", "dm-stock-male-01")
///     .person("002", "my-custom-model")
///     .params(ProcessParams::new().formats([OutputFormat::Fbx]))
///     .send(client)
///     .await?;
/// println!("{:?}", done.all_characters);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AnimatePeople {
    detection: String,
    out_dir: PathBuf,
    people: Vec<PersonModel>,
    params: ProcessParams,
    wait: Option<WaitOptions>,
    events: Option<EventFn>,
    save: SaveOutputs,
    submission: Option<PendingSubmission>,
    rid: Option<String>,
    force: bool,
}

impl std::fmt::Debug for AnimatePeople {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnimatePeople")
            .field("detection", &self.detection)
            .field("out_dir", &self.out_dir)
            .field("people", &self.people)
            .field("params", &self.params)
            .field("rid", &self.rid)
            .finish_non_exhaustive()
    }
}

impl AnimatePeople {
    /// Animate people of the detection job `detection`, saving into `out_dir`.
    pub fn new(detection: impl Into<String>, out_dir: impl Into<PathBuf>) -> Self {
        AnimatePeople {
            detection: detection.into(),
            out_dir: out_dir.into(),
            people: Vec::new(),
            params: ProcessParams::default(),
            wait: None,
            events: None,
            save: SaveOutputs::default(),
            submission: None,
            rid: None,
            force: false,
        }
    }

    /// Animates the person `tracking_id` with the model `model_id` (from
    /// `listModels`: a stock or a custom model).
    pub fn person(mut self, tracking_id: impl Into<String>, model_id: impl Into<String>) -> Self {
        self.people.push(PersonModel::new(tracking_id, model_id));
        self
    }

    /// Processing parameters (formats and so on); their `models` is
    /// replaced by the chosen people.
    pub fn params(mut self, params: ProcessParams) -> Self {
        self.params = params;
        self
    }

    /// How to wait for the job.
    pub fn wait_options(mut self, wait: WaitOptions) -> Self {
        self.wait = Some(wait);
        self
    }

    /// What to do when a name is taken.
    pub fn on_existing(mut self, on_existing: OnExisting) -> Self {
        self.save.on_existing = on_existing;
        self
    }

    /// Extracts the `all_characters` archives into folders instead of
    /// saving them with `.zip` appended.
    pub fn unzip(mut self, unzip: bool) -> Self {
        self.save.unzip = unzip;
        self
    }

    /// Sends a model id missing from `listModels` anyway.
    pub fn force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// The submission an earlier run announced with
    /// [`AnimateEvent::Submitting`]: its job is looked up, never sent again.
    pub fn submission(mut self, pending: impl Into<Option<PendingSubmission>>) -> Self {
        self.submission = pending.into();
        self
    }

    /// The rid of an animation an earlier run submitted
    /// ([`AnimateEvent::Submitted`]): only waited for and downloaded.
    pub fn rid(mut self, rid: impl Into<Option<String>>) -> Self {
        self.rid = rid.into();
        self
    }

    /// Receives progress events.
    pub fn on_event(mut self, events: impl Fn(AnimateEvent) + Send + Sync + 'static) -> Self {
        self.events = Some(Arc::new(events));
        self
    }

    /// The parameters as sent, after the local checks: at least one
    /// person, none twice, and the usual parameter rules.
    fn checked_params(&self) -> Result<ProcessParams, Error> {
        if self.people.is_empty() {
            return Err(Violation::new(
                keys::MODELS,
                Rule::Required,
                "",
                "at least one person: a tracking id of the detection and a model id \
                 (for example 001=<model id>)",
            )
            .into());
        }
        let params = self.params.clone().models(self.people.clone());
        params
            .validate(motionkit_validation::InputKind::Video, None)
            .errors_only()?;
        Ok(params)
    }

    /// Tracking ids the detection did not report are errors.
    fn check_people(&self, detection: &Detection) -> Result<(), Error> {
        let found: Vec<&str> = detection
            .people
            .iter()
            .map(|p| p.tracking_id.as_str())
            .collect();
        let mut problems = motionkit_validation::Violations::new();
        for person in &self.people {
            if !found.contains(&person.tracking_id.as_str()) {
                problems.push(Violation::new(
                    keys::MODELS,
                    Rule::OneOf,
                    &person.tracking_id,
                    format!(
                        "a tracking id detection {} reported: {}",
                        detection.rid,
                        if found.is_empty() {
                            "(none)".to_owned()
                        } else {
                            found.join(", ")
                        }
                    ),
                ));
            }
        }
        problems.into_result(())?;
        Ok(())
    }

    /// Checks, submits (or adopts, or takes the known rid), waits and
    /// downloads.
    pub async fn send(&self, client: &Client) -> Result<PeopleAnimation, Error> {
        let params = self.checked_params()?;
        let rid = match (&self.rid, &self.submission) {
            (Some(rid), _) => rid.clone(),
            (None, Some(pending)) => {
                client.claim(&self.detection);
                adopt(client, pending).await?
            }
            (None, None) => {
                let detection = client.detection(&self.detection).await?;
                self.check_people(&detection)?;
                Process::people(&self.detection, detection.input_name.clone())
                    .params(params)
                    .force(self.force)
                    .on_submitting(announce(self.events.clone()))
                    .send(client)
                    .await?
                    .rid
            }
        };
        follow(client, &rid, self.wait.as_ref(), self.events.as_ref()).await?;
        self.download(client, rid).await
    }

    /// Downloads each person's files and the `all_characters` archives.
    async fn download(&self, client: &Client, rid: String) -> Result<PeopleAnimation, Error> {
        let links = client.download_links(std::slice::from_ref(&rid)).await?;
        let link = links.into_iter().find(|l| l.rid == rid);
        let input_name = link.as_ref().and_then(|l| l.name.clone());
        let input = input_name.as_deref();
        let groups = link.and_then(|l| l.urls).unwrap_or_default();
        let mut done = PeopleAnimation {
            rid,
            people: Vec::new(),
            all_characters: Vec::new(),
        };
        for item in groups {
            let Some(group) = item.name else { continue };
            let files: Vec<(String, String)> = item
                .files
                .into_iter()
                .flat_map(|map| map.into_iter())
                .collect();
            // `None`: the all_characters archives; other groups (`inter*`)
            // are not saved.
            let person = match tracking_id_of(&group) {
                _ if group == ALL_CHARACTERS_GROUP => None,
                Some(id) => Some(id.to_owned()),
                None => continue,
            };
            let saved = save_files(
                client,
                &files,
                input,
                &self.out_dir,
                self.save,
                &self.events,
            )
            .await?;
            match person {
                Some(id) => done.people.push((id, saved)),
                None => done.all_characters.extend(saved),
            }
        }
        if done.people.is_empty() && done.all_characters.is_empty() {
            return Err(Error::NothingToDownload { rid: done.rid });
        }
        Ok(done)
    }
}
