//! Rooms for a crowd, through the real binary: votes survive a crash with their events, and
//! sockets end when their session, participation or room does, pushed rather than polled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

use crate::support::rooms::{closed_within, create_room, join_as_guest, queue, subscribe};
use crate::support::{TestApp, spawn_app, spawn_app_on_postgres};

/// Guests that vote in the crash test, and the tracks each likes once.
const GUESTS: usize = 12;
const TRACKS: usize = 40;

fn track(n: usize) -> String {
    format!("spotify:track:{n:0>22}")
}

/// Every event of the room from the first, read from its socket's backlog.
async fn whole_log(app: &TestApp, code: &str, token: &str) -> Vec<Value> {
    let snapshot: Value = app
        .get(&format!("/api/v1/rooms/{code}"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    let last = snapshot["last_seq"].as_u64().unwrap();
    let mut socket = subscribe(app, code, token, None, 0).await.unwrap();
    let mut events = Vec::new();
    while (events.len() as u64) < last {
        let message = tokio::time::timeout(Duration::from_secs(15), socket.next())
            .await
            .expect("the backlog within the deadline")
            .expect("the socket stays open")
            .unwrap();
        if let Message::Text(text) = message {
            events.push(serde_json::from_str(&text).unwrap());
        }
    }
    events
}

async fn a_kill_during_a_vote_load_loses_no_acknowledged_vote(mut app: TestApp) {
    let host = app.signed_up("host").await;
    let code = create_room(
        &app,
        &host,
        json!({"like_threshold": 10_000, "guest_votes_per_2min": 1000}),
    )
    .await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut guests = Vec::new();
    for index in 0..GUESTS {
        guests.push(
            join_as_guest(&app, &code, &format!("Guest {index}"))
                .await
                .1,
        );
    }
    // Each guest likes each track once, so that an acknowledged vote is a fact no later vote
    // changes: after the crash, each must still count.
    let acknowledged: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let voters: Vec<_> = guests
        .iter()
        .cloned()
        .map(|guest| {
            let client = app.client.clone();
            let url = app.url(&format!("/api/v1/rooms/{code}/votes"));
            let acknowledged = Arc::clone(&acknowledged);
            tokio::spawn(async move {
                for n in 0..TRACKS {
                    let sent = client
                        .post(&url)
                        .bearer_auth(&guest)
                        .json(&json!({"track_uri": track(n), "is_like": true}))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status() == StatusCode::OK => {
                            *acknowledged.lock().await.entry(track(n)).or_default() += 1;
                        }
                        // The server died under this request: the vote may or may not count.
                        _ => return,
                    }
                }
            })
        })
        // Spawn every voter before waiting on any.
        .collect();
    crate::support::eventually(
        Duration::from_secs(30),
        "a third of the votes are in",
        || async { acknowledged.lock().await.values().sum::<usize>() >= GUESTS * TRACKS / 3 },
    )
    .await;
    app.kill_and_restart();
    for voter in voters {
        voter.await.unwrap();
    }
    let acknowledged = acknowledged.lock().await.clone();
    assert!(
        acknowledged.values().sum::<usize>() < GUESTS * TRACKS,
        "the kill came while votes were still being sent"
    );

    let queue = queue(&app, &code, &host).await;
    let tallies: HashMap<String, u64> = queue["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["track_uri"].as_str().unwrap().to_owned(),
                entry["likes"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut announced: HashMap<String, u64> = HashMap::new();
    for event in whole_log(&app, &code, &host).await {
        if event["type"] == "vote_tallied" {
            let track = event["track_uri"].as_str().unwrap().to_owned();
            let likes = event["likes"].as_u64().unwrap();
            let seen = announced.entry(track).or_default();
            *seen = (*seen).max(likes);
        }
    }
    for (track, count) in &acknowledged {
        let tally = tallies.get(track).copied().unwrap_or(0);
        assert!(
            tally >= *count as u64,
            "{track}: {count} votes were acknowledged, {tally} survived"
        );
    }
    assert_eq!(
        tallies, announced,
        "each track's tally is its number of voters, and every vote that counts was announced"
    );
}

#[tokio::test]
async fn a_kill_during_a_vote_load_loses_no_acknowledged_vote_on_sqlite() {
    a_kill_during_a_vote_load_loses_no_acknowledged_vote(spawn_app().await).await;
}

#[tokio::test]
async fn a_kill_during_a_vote_load_loses_no_acknowledged_vote_on_postgres() {
    // Without PostgreSQL the support has said so (and failed under CI).
    let Some(app) = spawn_app_on_postgres().await else {
        return;
    };
    a_kill_during_a_vote_load_loses_no_acknowledged_vote(app).await;
}

#[tokio::test]
async fn logout_removal_and_closing_end_exactly_the_right_sockets_at_once() {
    let app = spawn_app().await;
    let host = app.signed_up("host").await;
    let code = create_room(&app, &host, json!({})).await["room"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let ada = app.signed_up("ada").await;
    let ada_again = app
        .login("ada", crate::support::PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let joined = app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/join"),
            Some(&ada),
            Some(json!({})),
        )
        .await;
    assert_eq!(joined.status(), StatusCode::OK);
    let (zoe, zoe_token) = join_as_guest(&app, &code, "Zoe").await;
    let (_, yan_token) = join_as_guest(&app, &code, "Yan").await;

    let mut ada_first = subscribe(&app, &code, &ada, None, 0).await.unwrap();
    let mut ada_second = subscribe(&app, &code, &ada_again, None, 0).await.unwrap();
    let mut zoe_socket = subscribe(&app, &code, &zoe_token, None, 0).await.unwrap();
    let mut yan_socket = subscribe(&app, &code, &yan_token, None, 0).await.unwrap();
    let mut host_socket = subscribe(&app, &code, &host, None, 0).await.unwrap();
    let promptly = Duration::from_secs(2);

    // Logging out ends that session's socket, and only it.
    assert_eq!(app.logout(&ada).await.status(), StatusCode::NO_CONTENT);
    assert!(
        closed_within(&mut ada_first, promptly).await,
        "the logged-out session's socket"
    );
    assert!(
        !closed_within(&mut ada_second, Duration::from_millis(300)).await,
        "Ada's other session keeps listening"
    );

    // Removing a guest ends their socket, and only theirs.
    let removed = app
        .send(
            Method::DELETE,
            &format!(
                "/api/v1/rooms/{code}/participants/{}",
                zoe["participant_id"].as_str().unwrap()
            ),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(
        closed_within(&mut zoe_socket, promptly).await,
        "the removed guest's socket"
    );
    assert!(!closed_within(&mut yan_socket, Duration::from_millis(300)).await);

    // Closing the room ends everyone's.
    let close = app
        .send(
            Method::POST,
            &format!("/api/v1/rooms/{code}/close"),
            Some(&host),
            None,
        )
        .await;
    assert_eq!(close.status(), StatusCode::OK);
    for socket in [&mut ada_second, &mut yan_socket, &mut host_socket] {
        assert!(
            closed_within(socket, promptly).await,
            "every socket of a closed room"
        );
    }
}
