//! The document's own flow, with plain HTTP: session cookie → upload URL →
//! upload (resumable and single PUT) → process → poll → download links →
//! files → list → credits.

mod deepmotion_common;

use deepmotion_common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_documented_flow_works_with_plain_http() {
    let sandbox = start(fast_args()).await;
    let base = sandbox.deepmotion_url();
    let client = http();

    // Without a session every API call is 401.
    for path in ["/list", "/account/creditBalance", "/upload?name=a.mp4"] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let forged = client
        .get(format!("{base}/list"))
        .header("cookie", "dmsess=s%3Aforged.AAAA")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let wrong = client
        .get(format!("{base}/session/auth"))
        .basic_auth(CLIENT_ID, Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().contains_key("www-authenticate"));
    assert_eq!(sandbox.deepmotion().successful_auths(), 0);

    // API 1: the cookie is HttpOnly, Path=/, with an HTTP-date Expires.
    let response = client
        .get(format!("{base}/session/auth"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
    assert!(attributes[0].starts_with("dmsess=s%3A"), "{set_cookie}");
    assert!(attributes.contains(&"Path=/"), "{set_cookie}");
    assert!(attributes.contains(&"HttpOnly"), "{set_cookie}");
    let expires = attributes
        .iter()
        .find_map(|a| a.strip_prefix("Expires="))
        .expect("Expires");
    let expires = httpdate::parse_http_date(expires).expect("an HTTP date");
    let ttl = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((3500..=3601).contains(&ttl), "ttl {ttl}");
    assert_eq!(sandbox.deepmotion().successful_auths(), 1);
    let dm = login(&base).await;
    assert_eq!(sandbox.deepmotion().successful_auths(), 2);

    // API 2, resumable (the default): POST start → Location → PUT.
    let walk = fixture("walk.mp4");
    let url = dm.upload_url("walk.mp4&unknown=ignored", None).await;
    assert!(
        url.starts_with(&format!("{base}/storage/uploads/")),
        "{url}"
    );
    assert!(
        url.contains("expires=") && url.contains("signature="),
        "{url}"
    );
    // A resumable URL is signed for POST only.
    let put = client.put(&url).body(walk.clone()).send().await.unwrap();
    assert_eq!(put.status(), StatusCode::FORBIDDEN);
    let session = dm.start_session(&url).await;
    let query = client
        .put(&session)
        .header("content-range", format!("bytes */{}", walk.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(query.status(), StatusCode::PERMANENT_REDIRECT);
    assert!(query.headers().get("range").is_none(), "nothing stored yet");
    let done = client
        .put(&session)
        .header(
            "content-range",
            format!("bytes 0-{}/{}", walk.len() - 1, walk.len()),
        )
        .header("content-type", "application/x-anything")
        .header("authorization", "Bearer ignored")
        .body(walk.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let resource: serde_json::Value = done.json().await.unwrap();
    assert_eq!(resource["size"], walk.len().to_string());

    // API 8.
    let info = dm.post_json("/videoInfo", &json!({ "url": url })).await;
    assert_eq!(
        info,
        json!({"width": 320, "height": 240, "fps": 30, "duration": 2, "codec": "h264", "size": walk.len()})
    );

    // API 3 and 7: the job is charged one credit per started second.
    assert_eq!(dm.credits().await, 1000.0);
    let rid = dm
        .process(
            &url,
            &["config=configDefault", "formats=bvh,fbx,glb,mp4,dmpe"],
        )
        .await;
    assert_eq!(dm.credits().await, 998.0);
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);

    // API 4.
    let entry = dm.wait(&rid).await;
    assert_eq!(entry["status"], "SUCCESS", "{entry}");
    assert_eq!(entry["details"]["In"], "walk.mp4");
    assert_eq!(entry["details"]["out"], "walk.mp4");

    // API 5 in the document's shape.
    let link = dm.link(&rid).await;
    assert_eq!(link["rid"], rid.as_str());
    assert_eq!(link["name"], "walk.mp4");
    assert_eq!(link["size"], walk.len());
    assert_eq!(link["duration"], 2);
    assert_eq!(link["urls"][0]["name"], "walk");
    let files = dm.files(&rid).await;
    let kinds: Vec<&str> = files.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["bvh", "fbx", "glb", "mp4", "dmpe"]);
    assert_eq!(dm.fetch(link["input"].as_str().unwrap()).await, walk);

    // The files: a BVH of duration × fps frames, and FBX, GLB and MP4
    // files of the same animation.
    let url_of = |kind: &str| files.iter().find(|(k, _)| k == kind).unwrap().1.clone();
    let bvh_bytes = dm.fetch(&url_of("bvh")).await;
    let bvh = parse_bvh(std::str::from_utf8(&bvh_bytes).unwrap()).unwrap();
    assert_eq!(bvh.root, "Hips");
    assert!(bvh.joints >= 15 && bvh.end_sites >= 5, "{bvh:?}");
    assert_eq!(bvh.frames, 60, "2 s at 30 fps");
    assert!((bvh.frame_time - 1.0 / 30.0).abs() < 1e-5, "{bvh:?}");
    let fbx = dm.fetch(&url_of("fbx")).await;
    assert!(fbx.starts_with(b"Kaydara FBX Binary  \0"));
    let marker = b"motionkit sandbox output";
    assert!(fbx.windows(marker.len()).any(|w| w == marker));
    let glb = dm.fetch(&url_of("glb")).await;
    let gltf = gltf::Gltf::from_slice(&glb).unwrap();
    assert_eq!((gltf.animations().count(), gltf.skins().count()), (1, 1));
    let mp4 = dm.fetch(&url_of("mp4")).await;
    let size = mp4.len() as u64;
    let video = mp4::Mp4Reader::read_header(std::io::Cursor::new(mp4), size).unwrap();
    let track = video.tracks().values().next().unwrap();
    assert_eq!(track.sample_count(), 60, "a video frame per BVH frame");
    assert!(url_of("dmpe").contains("/landmarks.dmpe?"));
    let dmpe = dm.fetch(&url_of("dmpe")).await;
    assert!(dmpe.starts_with(b"# motionkit sandbox output"));

    // Downloads resume with Range, ignore credentials, and refuse tampering.
    let bvh_url = url_of("bvh");
    let partial = client
        .get(&bvh_url)
        .header("range", "bytes=100-")
        .header("cookie", "dmsess=garbage")
        .header("authorization", "Basic Z2FyYmFnZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        partial.headers()["content-range"],
        format!("bytes 100-{}/{}", bvh_bytes.len() - 1, bvh_bytes.len()).as_str()
    );
    assert_eq!(
        partial.headers()["content-length"],
        (bvh_bytes.len() - 100).to_string().as_str()
    );
    assert_eq!(partial.bytes().await.unwrap(), bvh_bytes[100..]);
    let head = client.head(&bvh_url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(
        head.headers()["content-length"],
        bvh_bytes.len().to_string().as_str()
    );
    assert!(head.headers().contains_key("etag"));
    assert_eq!(
        head.headers()["content-disposition"],
        "attachment; filename=\"walk.bvh\""
    );
    let past_end = client
        .get(&bvh_url)
        .header("range", format!("bytes={}-", bvh_bytes.len()))
        .send()
        .await
        .unwrap();
    assert_eq!(past_end.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    let (head, signature) = bvh_url.split_once("signature=").unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{head}signature={flipped}{}", &signature[1..]);
    let refused = client.get(&tampered).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let other_key = bvh_url.replace("/walk.bvh?", "/walk.fbx?");
    let refused = client.get(&other_key).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // API 2 with resumable=0: one PUT of any content type; POST is refused.
    let turn = fixture("turn.mov");
    let single = dm.upload_url("turn.mov", Some(false)).await;
    let post = client
        .post(&single)
        .header("x-goog-resumable", "start")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::FORBIDDEN);
    let (head, signature) = single.split_once("signature=").unwrap();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{head}signature={flipped}{}", &signature[1..]);
    let refused = client
        .put(&tampered)
        .body(turn.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let put = client
        .put(&single)
        .header("content-type", "video/quicktime")
        .body(turn.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::OK);
    let turn_rid = dm.process(&single, &["formats=bvh"]).await;
    assert_eq!(dm.wait(&turn_rid).await["status"], "SUCCESS");
    let turn_files = dm.files(&turn_rid).await;
    assert_eq!(turn_files.len(), 1);
    let turn_bvh =
        parse_bvh(&String::from_utf8(dm.fetch(&turn_files[0].1).await).unwrap()).unwrap();
    assert_eq!(turn_bvh.frames, 24, "1 s at 24 fps");
    assert_eq!(dm.credits().await, 997.0);

    // API 6: times in milliseconds, statuses matched exactly.
    let list = dm.get_json("/list").await;
    assert_eq!(list["count"], 2);
    let first = &list["list"][0];
    assert_eq!(first["rid"], rid.as_str());
    assert_eq!(first["fileName"], "walk.mp4");
    assert_eq!(first["fileSize"], walk.len());
    assert_eq!(first["fileDuration"], 2);
    assert_eq!(first["status"], "SUCCESS");
    let (ctime, mtime) = (
        first["ctime"].as_f64().unwrap(),
        first["mtime"].as_f64().unwrap(),
    );
    assert!(ctime > 1.6e12 && mtime >= ctime, "{first}");
    assert_eq!(dm.get_json("/list/SUCCESS").await["count"], 2);
    assert_eq!(dm.get_json("/list/PROGRESS,FAILURE").await["count"], 0);
    assert_eq!(dm.get_json("/list/success").await["count"], 0);

    // Both ids at once, and the counters.
    let both = dm.get_json(&format!("/status/{rid},{turn_rid}")).await;
    assert_eq!(both["count"], 2);
    assert_eq!(both["status"][1]["rid"], turn_rid.as_str());
    let counts = sandbox.deepmotion();
    assert_eq!(counts.requests("process"), 2);
    assert!(counts.requests("status") >= 3);
    assert!(counts.requests("storage_download") >= 8);
    assert_eq!(counts.requests("session_auth"), 3);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn resumable_uploads_follow_the_gcs_protocol() {
    const KIB256: usize = 256 * 1024;
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    let client = http();
    let total = 600_000;
    let bytes = padded_mp4(&fixture("walk.mp4"), total);
    let url = dm.upload_url("big.mp4", None).await;
    let session = dm.start_session(&url).await;
    assert!(session.contains("upload_id="), "{session}");

    let put = |range: String, body: Vec<u8>| {
        let client = client.clone();
        let session = session.clone();
        async move {
            client
                .put(&session)
                .header("content-range", range)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let range_of = |r: &reqwest::Response| {
        r.headers()
            .get("range")
            .map(|v| v.to_str().unwrap().to_owned())
    };

    // Nothing stored: 308 without Range.
    let r = put(format!("bytes */{total}"), Vec::new()).await;
    assert_eq!(
        (r.status(), range_of(&r)),
        (StatusCode::PERMANENT_REDIRECT, None)
    );
    // A whole 256 KiB chunk is kept.
    let r = put(
        format!("bytes 0-{}/{total}", KIB256 - 1),
        bytes[..KIB256].to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(range_of(&r).as_deref(), Some("bytes=0-262143"));
    // A chunk that is not a multiple of 256 KiB keeps only whole multiples.
    let r = put(
        format!("bytes {KIB256}-{}/{total}", 400_000 - 1),
        bytes[KIB256..400_000].to_vec(),
    )
    .await;
    assert_eq!(range_of(&r).as_deref(), Some("bytes=0-262143"));
    // A chunk past the stored bytes stores nothing.
    let r = put(
        format!("bytes 500000-{}/{total}", total - 1),
        bytes[500_000..].to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(range_of(&r).as_deref(), Some("bytes=0-262143"));
    // Content-Length must match Content-Range.
    let r = put(
        format!("bytes {KIB256}-{}/{total}", KIB256 + 99),
        vec![0; 10],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The status query says where to resume; an overlapping chunk is fine.
    let r = put(format!("bytes */{total}"), Vec::new()).await;
    assert_eq!(range_of(&r).as_deref(), Some("bytes=0-262143"));
    let r = put(
        format!("bytes 100000-{}/{total}", total - 1),
        bytes[100_000..].to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let resource: serde_json::Value = r.json().await.unwrap();
    assert_eq!(resource["size"], "600000");
    let r = put(format!("bytes */{total}"), Vec::new()).await;
    assert_eq!(r.status(), StatusCode::OK);

    // The stored object is exactly what was sent, and is a usable video.
    let rid = dm.process(&url, &["formats=bvh"]).await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    let link = dm.link(&rid).await;
    assert_eq!(link["size"], total);
    assert_eq!(dm.fetch(link["input"].as_str().unwrap()).await, bytes);

    // Unknown sessions are 404; cancelled ones 410.
    let unknown = session.replace("upload_id=", "upload_id=0");
    let r = client
        .put(&unknown)
        .header("content-range", "bytes */10")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let url2 = dm.upload_url("other.mp4", None).await;
    let session2 = dm.start_session(&url2).await;
    let r = client.delete(&session2).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 499);
    let r = client
        .put(&session2)
        .header("content-range", "bytes 0-9/10")
        .body(vec![0u8; 10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    // A POST without x-goog-resumable does not start a session.
    let r = client.post(&url2).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn pictures_and_other_containers_are_read() {
    let sandbox = start(fast_args()).await;
    let dm = login(&sandbox.deepmotion_url()).await;
    for (name, expected) in [
        (
            "pose.png",
            json!({"width": 64, "height": 96, "codec": "png", "size": 513}),
        ),
        (
            "clip.webm",
            json!({"width": 160, "height": 120, "fps": 25, "duration": 1, "codec": "vp8", "size": 5513}),
        ),
        (
            "clip.avi",
            json!({"width": 160, "height": 120, "fps": 10, "duration": 1, "codec": "mpeg4", "size": 8262}),
        ),
    ] {
        let url = dm.upload_single(name, fixture(name)).await;
        let info = dm.post_json("/videoInfo", &json!({ "url": url })).await;
        assert_eq!(info, expected, "{name}");
    }
    let text = dm
        .upload_single("not-a-video.mp4", fixture("not-a-video.mp4"))
        .await;
    let r = dm.post("/videoInfo", &json!({ "url": text })).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let never = dm.upload_url("never.mp4", None).await;
    let r = dm.post("/videoInfo", &json!({ "url": never })).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // A still picture: png output allowed, one BVH frame, one credit.
    let jpg = dm.upload_single("pose.jpg", fixture("pose.jpg")).await;
    let rid = dm.process(&jpg, &["formats=bvh,png,jpg"]).await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    assert_eq!(dm.credits().await, 999.0);
    let files = dm.files(&rid).await;
    let png = dm.fetch(&files[1].1).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    let jpeg = dm.fetch(&files[2].1).await;
    assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
    let bvh = parse_bvh(&String::from_utf8(dm.fetch(&files[0].1).await).unwrap()).unwrap();
    assert_eq!(bvh.frames, 1);
    // WebM and AVI inputs are animated too, at their own rate.
    let webm = dm.upload_single("clip.webm", fixture("clip.webm")).await;
    let rid = dm.process(&webm, &["formats=bvh"]).await;
    assert_eq!(dm.wait(&rid).await["status"], "SUCCESS");
    let files = dm.files(&rid).await;
    let bvh = parse_bvh(&String::from_utf8(dm.fetch(&files[0].1).await).unwrap()).unwrap();
    assert_eq!(bvh.frames, 25);
    sandbox.shutdown().await;
}
