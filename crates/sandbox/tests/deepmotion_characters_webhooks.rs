//! Custom characters and webhooks.

mod deepmotion_common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use deepmotion_common::*;
use motionkit_models::deepmotion::{CharacterModel, WebhookEndpoint, WebhookEvent};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn custom_characters_can_be_uploaded_stored_listed_and_deleted() {
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let client = http();

    let stock: Vec<CharacterModel> =
        serde_json::from_value(dm.get_json("/character/listModels").await).unwrap();
    assert!(stock.len() >= 3);
    let raw = dm.get_json("/character/listModels").await;
    assert!(raw[0]["Id"].is_string(), "the document writes Id: {raw}");
    let thumb = dm.fetch(stock[0].thumb.as_deref().unwrap()).await;
    assert!(thumb.starts_with(b"\x89PNG"));

    // Resumable (default) URLs for the model, regular ones for the thumbnail.
    let urls = dm
        .get_json("/character/getModelUploadUrl?name=hero&modelExt=glb&thumbExt=jpg")
        .await;
    let model_url = urls["modelUrl"].as_str().unwrap();
    assert!(model_url.contains("/hero.glb?"), "{model_url}");
    let session = dm.start_session(model_url).await;
    let model_bytes = fixture("hero.glb");
    let r = client
        .put(&session)
        .header(
            "content-range",
            format!("bytes 0-{}/{}", model_bytes.len() - 1, model_bytes.len()),
        )
        .body(model_bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let plain = dm
        .get_json("/character/getModelUploadUrl?name=hero&thumbExt=jpg&resumable=0")
        .await;
    let thumb_url = plain["thumbUrl"].as_str().unwrap();
    let r = client
        .put(thumb_url)
        .body(fixture("pose.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Store: a file that is not a character model is refused.
    let junk = dm
        .get_json("/character/getModelUploadUrl?name=junk&modelExt=glb&resumable=0")
        .await;
    let junk_url = junk["modelUrl"].as_str().unwrap();
    let r = client
        .put(junk_url)
        .body(&b"glTF fake model"[..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = dm
        .post("/character/storeModel", &json!({"modelUrl": junk_url}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let why = r.text().await.unwrap();
    assert!(why.contains("not a character model"), "{why}");

    // Store: a thumbnail URL that was never uploaded is refused.
    let r = dm
        .post(
            "/character/storeModel",
            &json!({"modelUrl": model_url, "thumbUrl": urls["thumbUrl"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let stored = dm
        .post_json(
            "/character/storeModel",
            &json!({"modelUrl": model_url, "modelName": "Hero Model", "thumbUrl": thumb_url}),
        )
        .await;
    let model_id = stored["modelId"].as_str().unwrap().to_owned();
    // Form-encoded bodies work too.
    let form = client
        .post(format!("{}/character/storeModel", dm.base))
        .header("cookie", &dm.cookie)
        .form(&[
            ("modelUrl", model_url),
            ("modelName", "Villain"),
            ("createThumb", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let villain = form.json::<serde_json::Value>().await.unwrap()["modelId"]
        .as_str()
        .unwrap()
        .to_owned();

    let found: Vec<CharacterModel> =
        serde_json::from_value(dm.get_json("/character/listModels?searchToken=HERO").await)
            .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, model_id);
    assert_eq!(found[0].name.as_deref(), Some("Hero Model"));
    assert_eq!(
        dm.fetch(found[0].thumb.as_deref().unwrap()).await,
        fixture("pose.jpg")
    );
    let by_id: Vec<CharacterModel> = serde_json::from_value(
        dm.get_json(&format!("/character/listModels?modelId={villain}"))
            .await,
    )
    .unwrap();
    assert_eq!(by_id.len(), 1);
    assert!(by_id[0].thumb.is_some(), "createThumb=1 makes a thumbnail");
    let generated = dm.fetch(by_id[0].thumb.as_deref().unwrap()).await;
    assert!(generated.starts_with(b"\x89PNG"));

    // Update by id: rename and generate a thumbnail.
    let updated = dm
        .post_json(
            "/character/storeModel",
            &json!({"modelId": model_id, "modelName": "Hero v2", "createThumb": 1}),
        )
        .await;
    assert_eq!(updated["modelId"], model_id.as_str());
    let found = dm.get_json("/character/listModels?searchToken=v2").await;
    assert_eq!(found[0]["Id"], model_id.as_str());
    let r = dm
        .post("/character/storeModel", &json!({"modelId": "missing"}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Jobs can use the model; physics with a custom model fails with 505.
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let model_param = format!("model={model_id}");
    let ok = dm.process(&url, &[&model_param, "formats=fbx,glb"]).await;
    assert_eq!(dm.wait(&ok).await["status"], "SUCCESS");
    // Its files are as real as any job's.
    let files = dm.files(&ok).await;
    assert_eq!(files.len(), 2);
    for (kind, url) in files {
        let bytes = dm.fetch(&url).await;
        match kind.as_str() {
            "fbx" => assert!(bytes.starts_with(b"Kaydara FBX Binary  \0")),
            _ => assert_eq!(
                gltf::Gltf::from_slice(&bytes).unwrap().animations().count(),
                1
            ),
        }
    }
    let physics = dm.process(&url, &[&model_param, "sim=1"]).await;
    let entry = dm.wait(&physics).await;
    assert!(
        entry["details"]["exc_message"]
            .as_str()
            .unwrap()
            .starts_with("505:")
    );

    // Delete: count 1, then 0; stock models stay.
    let path = format!("/character/deleteModel/{model_id}");
    let delete = |path: String| {
        let dm = dm.clone();
        async move {
            dm.http
                .delete(format!("{}{path}", dm.base))
                .header("cookie", &dm.cookie)
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(delete(path.clone()).await, json!({"count": 1}));
    assert_eq!(delete(path).await, json!({"count": 0}));
    assert_eq!(
        delete("/character/deleteModel/dm-stock-male-01".into()).await,
        json!({"count": 0})
    );
    let after = dm.get_json("/character/listModels").await;
    assert_eq!(after.as_array().unwrap().len(), stock.len() + 1);
    sandbox.shutdown().await;
}

#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<(HeaderMap, String)>>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: String) -> AxumStatus {
    let mut calls = receiver.calls.lock().unwrap();
    calls.push((headers, body));
    // The first delivery fails, so the sandbox must retry.
    if calls.len() == 1 {
        AxumStatus::INTERNAL_SERVER_ERROR
    } else {
        AxumStatus::OK
    }
}

async fn start_receiver() -> (String, Receiver) {
    let receiver = Receiver::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/hook"), receiver)
}

async fn wait_for_calls(receiver: &Receiver, n: usize) -> Vec<(HeaderMap, String)> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let calls = receiver.calls.lock().unwrap().clone();
        if calls.len() >= n {
            return calls;
        }
        assert!(
            Instant::now() < deadline,
            "{} calls, wanted {n}",
            calls.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn webhooks_are_managed_and_events_delivered_with_retries() {
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let (hook_url, receiver) = start_receiver().await;

    let created: WebhookEndpoint = serde_json::from_value(
        dm.post_json(
            "/webhook_endpoints",
            &json!({"url": hook_url, "events": ["job.completed"]}),
        )
        .await,
    )
    .unwrap();
    assert_eq!(created.object, "webhook_endpoint");
    assert_eq!(created.url, hook_url);
    assert_eq!(created.events, ["job.completed"]);
    // Form-encoded, for a second endpoint that is then deleted.
    let form = dm
        .http
        .post(format!("{}/webhook_endpoints", dm.base))
        .header("cookie", &dm.cookie)
        .form(&[
            ("url", "http://127.0.0.1:9/never"),
            ("events", "job.completed"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let other: WebhookEndpoint = form.json().await.unwrap();
    for bad in [
        json!({"url": "ftp://x", "events": ["job.completed"]}),
        json!({"url": hook_url, "events": []}),
        json!({"url": hook_url, "events": ["job.started"]}),
        json!({"events": ["job.completed"]}),
    ] {
        let r = dm.post("/webhook_endpoints", &bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let list = dm.get_json("/webhook_endpoints").await;
    assert_eq!(list["count"], 2);
    assert_eq!(list["endpoints"][1]["id"], other.id.as_str());
    let one = dm
        .get_json(&format!("/webhook_endpoints/{}", created.id))
        .await;
    assert_eq!(one["url"], hook_url.as_str());
    let updated = dm
        .post_json(
            &format!("/webhook_endpoints/{}", other.id),
            &json!({"url": "http://127.0.0.1:9/moved", "events": ["job.completed"]}),
        )
        .await;
    assert_eq!(updated["url"], "http://127.0.0.1:9/moved");
    let deleted = dm
        .http
        .delete(format!("{}/webhook_endpoints/{}", dm.base, other.id))
        .header("cookie", &dm.cookie)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(
        deleted,
        json!({"id": other.id, "object": "webhook_endpoint", "deleted": true})
    );
    let gone = dm.get(&format!("/webhook_endpoints/{}", other.id)).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(dm.get_json("/webhook_endpoints").await["count"], 1);

    // A finished job is announced; the first answer (500) makes it retry.
    let url = dm.upload_single("walk.mp4", fixture("walk.mp4")).await;
    let rid = dm.process(&url, &["formats=bvh"]).await;
    let calls = wait_for_calls(&receiver, 2).await;
    for (headers, body) in &calls[..2] {
        assert_eq!(headers["x-deepmotion-signature"], CLIENT_ID);
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let event: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            event,
            json!({"eventType": "job.completed", "data": {"taskId": rid, "status": "success"}})
        );
        let _: WebhookEvent = serde_json::from_str(body).unwrap();
    }
    // A failed job is announced as a failure.
    let failing = dm
        .upload_single("x-fail-599.mp4", fixture("walk.mp4"))
        .await;
    let failed = dm.process(&failing, &[]).await;
    let calls = wait_for_calls(&receiver, 3).await;
    let event: serde_json::Value = serde_json::from_str(&calls[2].1).unwrap();
    assert_eq!(
        event["data"],
        json!({"taskId": failed, "status": "failure"})
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while sandbox.deepmotion().webhook_deliveries() < 2 {
        assert!(Instant::now() < deadline, "deliveries not counted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(sandbox.deepmotion().webhook_deliveries(), 2);
    assert_eq!(sandbox.deepmotion().webhook_attempts(), 3);
    sandbox.shutdown().await;
}
