use chrono::DateTime;
use soiree_kernel::ManualClock;

use super::*;
use crate::memory::{InMemoryRooms, RecordingSink, StaticDirectory};

struct Harness {
    rooms: RoomsService,
    sink: RecordingSink,
    clock: ManualClock,
    host: Member,
}

fn harness() -> Harness {
    let clock = ManualClock::starting_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let sink = RecordingSink::default();
    let directory = StaticDirectory::default();
    let host = Member {
        user_id: UserId::generate(),
        display_name: "Host".into(),
    };
    directory.insert(host.user_id, "host@example.org");
    let rooms = RoomsService::new(
        Arc::new(InMemoryRooms::default()),
        Arc::new(directory),
        Arc::new(sink.clone()),
        Arc::new(clock.clone()),
    );
    Harness {
        rooms,
        sink,
        clock,
        host,
    }
}

fn member(name: &str) -> Member {
    Member {
        user_id: UserId::generate(),
        display_name: name.into(),
    }
}

fn new_room(guests_allowed: bool) -> NewRoom {
    NewRoom {
        name: Some(RoomName::parse("Birthday").unwrap()),
        like_threshold: LikeThreshold::Fixed(2),
        options: RoomOptions {
            guests_allowed,
            guest_votes_per_2min: 10,
        },
    }
}

#[tokio::test]
async fn the_host_creates_a_room_and_is_its_first_participant() {
    let h = harness();
    let (room, host) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    assert_eq!(room.code.as_str().len(), 6);
    assert_eq!(host.identity, Identity::User(h.host.user_id));
    let lowercase = RoomCode::parse(&room.code.as_str().to_lowercase()).unwrap();
    assert_eq!(
        h.rooms.room(&lowercase).await.unwrap().id,
        room.id,
        "codes are case-insensitive"
    );
    assert!(
        h.rooms
            .participant(&room, Viewer::User(h.host.user_id))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn users_and_guests_join_and_leave_with_events_in_order() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let ada = member("Ada");
    let (_, joined) = h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    let (_, again) = h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    assert_eq!(joined.id, again.id, "joining twice is one participation");
    let (_, guest, token) = h
        .rooms
        .join_as_guest(&room.code, Nickname::parse("Zoe").unwrap())
        .await
        .unwrap();
    assert_eq!(
        h.rooms.guest(&room, token.expose()).await.unwrap().id,
        guest.id
    );
    assert!(matches!(
        h.rooms.guest(&room, "g_not-a-token").await,
        Err(RoomError::NotParticipant)
    ));

    h.rooms
        .leave(&room, Viewer::User(ada.user_id))
        .await
        .unwrap();
    assert!(matches!(
        h.rooms.participant(&room, Viewer::User(ada.user_id)).await,
        Err(RoomError::NotParticipant)
    ));
    h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    assert_eq!(
        h.sink.names(),
        [
            "participant_joined",
            "participant_joined",
            "participant_left",
            "participant_joined"
        ]
    );
    let seqs: Vec<u64> = h.sink.events().iter().map(|event| event.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4]);
}

#[tokio::test]
async fn guests_are_refused_where_the_host_requires_sign_in() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(false)).await.unwrap();
    let refused = h
        .rooms
        .join_as_guest(&room.code, Nickname::parse("Zoe").unwrap())
        .await;
    assert!(
        matches!(refused, Err(RoomError::GuestsNotAllowed)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn only_the_host_sees_emails_and_only_participants_see_anyone() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let ada = member("Ada");
    h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    let host_view = h
        .rooms
        .participants(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    assert_eq!(
        host_view
            .iter()
            .filter_map(|view| view.email.as_deref())
            .collect::<Vec<_>>(),
        ["host@example.org"]
    );
    let guest_view = h
        .rooms
        .participants(&room, Viewer::User(ada.user_id))
        .await
        .unwrap();
    assert!(guest_view.iter().all(|view| view.email.is_none()));
    assert_eq!(guest_view.len(), 2);
    let stranger = h
        .rooms
        .participants(&room, Viewer::User(UserId::generate()))
        .await;
    assert!(matches!(stranger, Err(RoomError::NotParticipant)));
}

#[tokio::test]
async fn host_controls_are_for_the_host_and_a_removed_person_stays_out() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let ada = member("Ada");
    let (_, participant) = h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    assert!(matches!(
        h.rooms
            .kick(&room, Viewer::User(ada.user_id), participant.id)
            .await,
        Err(RoomError::NotHost)
    ));
    let changes = RoomChanges {
        like_threshold: Some(LikeThreshold::Fixed(5)),
        ..RoomChanges::default()
    };
    assert!(matches!(
        h.rooms
            .update(&room, Viewer::User(ada.user_id), changes.clone())
            .await,
        Err(RoomError::NotHost)
    ));
    assert_eq!(
        h.rooms
            .update(&room, Viewer::User(h.host.user_id), changes)
            .await
            .unwrap()
            .like_threshold,
        LikeThreshold::Fixed(5)
    );

    h.rooms
        .kick(&room, Viewer::User(h.host.user_id), participant.id)
        .await
        .unwrap();
    assert!(matches!(
        h.rooms.join_as_user(&room.code, &ada).await,
        Err(RoomError::Removed)
    ));
    assert!(matches!(
        h.rooms.close(&room, Viewer::User(ada.user_id)).await,
        Err(RoomError::NotHost)
    ));
    let closed = h
        .rooms
        .close(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    assert!(!closed.is_open());
    assert!(matches!(
        h.rooms.join_as_user(&room.code, &member("Late")).await,
        Err(RoomError::Closed)
    ));
    assert_eq!(h.sink.names().last(), Some(&"room_closed"));
}

#[tokio::test]
async fn presence_counts_those_seen_in_the_last_minutes() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    h.rooms
        .join_as_user(&room.code, &member("Ada"))
        .await
        .unwrap();
    assert_eq!(h.rooms.present_count(&room).await.unwrap(), 2);
    h.clock.advance(PRESENCE_WINDOW + Duration::seconds(1));
    assert_eq!(h.rooms.present_count(&room).await.unwrap(), 0);
    h.rooms
        .participant(&room, Viewer::User(h.host.user_id))
        .await
        .unwrap();
    assert_eq!(
        h.rooms.present_count(&room).await.unwrap(),
        1,
        "a request is a sign of life"
    );
}
