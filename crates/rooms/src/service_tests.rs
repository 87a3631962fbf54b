use chrono::DateTime;
use soiree_kernel::ManualClock;

use super::*;
use crate::access::RoomAccess;
use crate::error::{AuthenticateGuestError, FollowRoomError};
use crate::memory::{FixedAllowance, InMemoryRooms, RecordingSink, StaticDirectory};
use crate::ports::HostAllowance;

struct Harness {
    rooms: RoomsService,
    store: InMemoryRooms,
    sink: RecordingSink,
    clock: ManualClock,
    host: Member,
}

fn harness() -> Harness {
    harness_with(FixedAllowance::default())
}

fn harness_with(allowance: FixedAllowance) -> Harness {
    let clock = ManualClock::starting_at(DateTime::from_timestamp(1_800_000_000, 0).unwrap());
    let sink = RecordingSink::default();
    let directory = StaticDirectory::default();
    let store = InMemoryRooms::default();
    let host = Member {
        user_id: UserId::generate(),
        display_name: "Host".into(),
    };
    directory.insert(host.user_id, "host@example.org");
    let rooms = RoomsService::new(
        Arc::new(store.clone()),
        Arc::new(directory),
        Arc::new(allowance),
        Arc::new(sink.clone()),
        Arc::new(clock.clone()),
    );
    Harness {
        rooms,
        store,
        sink,
        clock,
        host,
    }
}

impl Harness {
    fn host(&self) -> Viewer {
        Viewer::User(self.host.user_id)
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
            max_guests: None,
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
    let access = h.rooms.access(&lowercase, h.host()).await.unwrap();
    assert_eq!(access.room().id, room.id, "codes are case-insensitive");
    assert!(access.is_host());
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
        .join_as_guest(
            &room.code,
            Nickname::parse("Zoe").unwrap(),
            GuestSource::new("phone-of-zoe"),
        )
        .await
        .unwrap();
    assert_eq!(
        h.rooms
            .authenticate_guest(&room.code, token.expose())
            .await
            .unwrap()
            .id,
        guest.id
    );
    assert!(matches!(
        h.rooms
            .authenticate_guest(&room.code, "g_not-a-token")
            .await,
        Err(AuthenticateGuestError::UnknownGuest)
    ));

    let ada_viewer = Viewer::User(ada.user_id);
    h.rooms.leave(&room.code, ada_viewer).await.unwrap();
    assert!(
        matches!(
            h.rooms.access(&room.code, ada_viewer).await,
            Err(ReadRoomError::NotParticipant)
        ),
        "leaving is seen at once, cache or not"
    );
    assert!(matches!(
        h.rooms.leave(&room.code, ada_viewer).await,
        Err(LeaveError::NotParticipant)
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
async fn unknown_codes_are_not_found_for_every_operation() {
    let h = harness();
    let nowhere = RoomCode::parse("ZZZZZZ").unwrap();
    let viewer = h.host();
    assert!(matches!(
        h.rooms.access(&nowhere, viewer).await,
        Err(ReadRoomError::NotFound)
    ));
    assert!(matches!(
        h.rooms.follow(&nowhere, viewer).await,
        Err(FollowRoomError::NotFound)
    ));
    assert!(matches!(
        h.rooms.leave(&nowhere, viewer).await,
        Err(LeaveError::NotFound)
    ));
    assert!(matches!(
        h.rooms.join_as_user(&nowhere, &h.host).await,
        Err(JoinError::NotFound)
    ));
    assert!(matches!(
        h.rooms
            .kick(&nowhere, viewer, ParticipantId::generate())
            .await,
        Err(KickError::NotFound)
    ));
    assert!(matches!(
        h.rooms
            .update(&nowhere, viewer, RoomChanges::default())
            .await,
        Err(UpdateRoomError::NotFound)
    ));
    assert!(matches!(
        h.rooms.close(&nowhere, viewer).await,
        Err(CloseRoomError::NotFound)
    ));
}

#[tokio::test]
async fn guests_are_refused_where_the_host_requires_sign_in() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(false)).await.unwrap();
    let refused = h
        .rooms
        .join_as_guest(
            &room.code,
            Nickname::parse("Zoe").unwrap(),
            GuestSource::new("phone-of-zoe"),
        )
        .await;
    assert!(
        matches!(refused, Err(JoinError::GuestsNotAllowed)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn only_the_host_sees_emails_and_only_participants_see_anyone() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let ada = member("Ada");
    h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    let host_view = h.rooms.participants(&room.code, h.host()).await.unwrap();
    assert_eq!(
        host_view
            .iter()
            .filter_map(|view| view.email.as_deref())
            .collect::<Vec<_>>(),
        ["host@example.org"]
    );
    let guest_view = h
        .rooms
        .participants(&room.code, Viewer::User(ada.user_id))
        .await
        .unwrap();
    assert!(guest_view.iter().all(|view| view.email.is_none()));
    assert_eq!(guest_view.len(), 2);
    let stranger = h
        .rooms
        .participants(&room.code, Viewer::User(UserId::generate()))
        .await;
    assert!(matches!(stranger, Err(ReadRoomError::NotParticipant)));
}

#[tokio::test]
async fn host_controls_are_for_the_host_and_a_removed_person_stays_out() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let ada = member("Ada");
    let ada_viewer = Viewer::User(ada.user_id);
    let (_, participant) = h.rooms.join_as_user(&room.code, &ada).await.unwrap();
    assert!(matches!(
        h.rooms.kick(&room.code, ada_viewer, participant.id).await,
        Err(KickError::NotHost)
    ));
    let changes = RoomChanges {
        like_threshold: Some(LikeThreshold::Fixed(5)),
        ..RoomChanges::default()
    };
    assert!(matches!(
        h.rooms
            .update(&room.code, ada_viewer, changes.clone())
            .await,
        Err(UpdateRoomError::NotHost)
    ));
    h.rooms.update(&room.code, h.host(), changes).await.unwrap();
    assert_eq!(
        h.rooms
            .access(&room.code, h.host())
            .await
            .unwrap()
            .room()
            .like_threshold,
        LikeThreshold::Fixed(5),
        "the host's change is seen at once by this process"
    );

    // Ada is cached as a participant; removing her is seen at once all the same.
    h.rooms.access(&room.code, ada_viewer).await.unwrap();
    h.rooms
        .kick(&room.code, h.host(), participant.id)
        .await
        .unwrap();
    assert!(matches!(
        h.rooms.access(&room.code, ada_viewer).await,
        Err(ReadRoomError::NotParticipant)
    ));
    assert!(matches!(
        h.rooms.join_as_user(&room.code, &ada).await,
        Err(JoinError::Removed)
    ));
    assert!(matches!(
        h.rooms
            .kick(&room.code, h.host(), ParticipantId::generate())
            .await,
        Err(KickError::NoSuchParticipant)
    ));
    assert!(matches!(
        h.rooms.close(&room.code, ada_viewer).await,
        Err(CloseRoomError::NotHost)
    ));
    let closed = h.rooms.close(&room.code, h.host()).await.unwrap();
    assert!(!closed.is_open());
    assert!(matches!(
        h.rooms.join_as_user(&room.code, &member("Late")).await,
        Err(JoinError::Closed)
    ));
    assert!(matches!(
        h.rooms.follow(&room.code, h.host()).await,
        Err(FollowRoomError::Closed)
    ));
    assert!(matches!(
        h.rooms
            .update(&room.code, h.host(), RoomChanges::default())
            .await,
        Err(UpdateRoomError::Closed)
    ));
    assert_eq!(h.sink.names().last(), Some(&"room_closed"));
}

#[tokio::test]
async fn presence_counts_those_seen_in_the_last_minutes() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let (_, ada) = h
        .rooms
        .join_as_user(&room.code, &member("Ada"))
        .await
        .unwrap();
    assert_eq!(h.rooms.present_count(&room).await.unwrap(), 2);
    h.clock.advance(PRESENCE_WINDOW + Duration::seconds(1));
    assert_eq!(h.rooms.present_count(&room).await.unwrap(), 0);
    h.rooms.access(&room.code, h.host()).await.unwrap();
    h.clock.advance(Duration::seconds(2));
    assert_eq!(
        h.rooms.present_count(&room).await.unwrap(),
        1,
        "a request is a sign of life"
    );
    h.rooms.still_present(room.id, &[ada.id]).await.unwrap();
    h.clock.advance(Duration::seconds(2));
    assert_eq!(
        h.rooms.present_count(&room).await.unwrap(),
        2,
        "an open socket is a sign of life"
    );
}

#[tokio::test]
async fn a_room_changed_by_another_process_is_seen_within_a_second() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    h.rooms.access(&room.code, h.host()).await.unwrap();
    // Another process renames the room straight in storage.
    let renamed = Room {
        name: Some(RoomName::parse("Renamed").unwrap()),
        ..room.clone()
    };
    h.store
        .save_room(&renamed, RoomEventKind::RoomUpdated, h.clock.now())
        .await
        .unwrap();
    let name = |access: RoomAccess| access.room().name.clone().unwrap();
    assert_eq!(
        name(h.rooms.access(&room.code, h.host()).await.unwrap()).as_str(),
        "Birthday"
    );
    h.clock.advance(Duration::seconds(1));
    assert_eq!(
        name(h.rooms.access(&room.code, h.host()).await.unwrap()).as_str(),
        "Renamed"
    );
}

#[tokio::test]
async fn a_dashboard_lists_the_rooms_an_account_hosts_or_joined_most_recent_first() {
    let h = harness();
    let (first, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    h.clock.advance(Duration::minutes(1));
    let (second, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let ada = member("Ada");
    h.clock.advance(Duration::minutes(1));
    h.rooms.join_as_user(&first.code, &ada).await.unwrap();
    let hosted = h.rooms.rooms_of(h.host.user_id).await.unwrap();
    assert_eq!(
        hosted
            .iter()
            .map(|mine| (mine.room.id, mine.is_host))
            .collect::<Vec<_>>(),
        [(second.id, true), (first.id, true)]
    );
    let joined = h.rooms.rooms_of(ada.user_id).await.unwrap();
    assert_eq!(
        joined
            .iter()
            .map(|mine| (mine.room.id, mine.is_host))
            .collect::<Vec<_>>(),
        [(first.id, false)]
    );
}

fn source(text: &str) -> GuestSource {
    GuestSource::new(text)
}

#[tokio::test]
async fn a_host_has_as_many_open_rooms_as_their_tier_allows() {
    let h = harness_with(FixedAllowance(HostAllowance {
        tier: soiree_kernel::Tier::Free,
        open_rooms: Some(2),
        people_per_room: None,
    }));
    let (first, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let refused = h.rooms.create(&h.host, new_room(true)).await.unwrap_err();
    assert!(
        matches!(refused, CreateRoomError::TooManyOpenRooms { limit: 2, .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("allows 2 open rooms"));
    // Closing one makes room for another; someone else's rooms do not count.
    h.rooms.close(&first.code, h.host()).await.unwrap();
    h.rooms.create(&h.host, new_room(true)).await.unwrap();
    h.rooms
        .create(&member("Other"), new_room(true))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_room_takes_as_many_people_and_guests_as_allowed() {
    let h = harness_with(FixedAllowance(HostAllowance {
        tier: soiree_kernel::Tier::Free,
        open_rooms: None,
        people_per_room: Some(3),
    }));
    let mut new = new_room(true);
    new.options.max_guests = Some(1);
    let (room, _) = h.rooms.create(&h.host, new).await.unwrap();
    let nickname = |text: &str| Nickname::parse(text).unwrap();
    let (_, guest, _) = h
        .rooms
        .join_as_guest(&room.code, nickname("Ada"), source("a"))
        .await
        .unwrap();
    let refused = h
        .rooms
        .join_as_guest(&room.code, nickname("Bob"), source("b"))
        .await
        .unwrap_err();
    assert!(
        matches!(refused, JoinError::NoGuestPlaces { limit: 1 }),
        "{refused:?}"
    );
    // Members still fit until the room holds its three people.
    h.rooms
        .join_as_user(&room.code, &member("Cy"))
        .await
        .unwrap();
    let full = h
        .rooms
        .join_as_user(&room.code, &member("Di"))
        .await
        .unwrap_err();
    assert!(matches!(full, JoinError::Full { limit: 3 }), "{full:?}");
    // Someone leaving makes a place.
    h.rooms
        .leave(&room.code, Viewer::Guest(guest.id))
        .await
        .unwrap();
    h.rooms
        .join_as_user(&room.code, &member("Di"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_nickname_already_in_the_room_is_made_distinct() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    let nickname = |text: &str| Nickname::parse(text).unwrap();
    let mut names = Vec::new();
    for name in ["Ada", "ada", "Host"] {
        let (_, guest, _) = h
            .rooms
            .join_as_guest(&room.code, nickname(name), source("x"))
            .await
            .unwrap();
        names.push(guest.display_name.as_str().to_owned());
    }
    assert_eq!(names, ["Ada", "ada 2", "Host 2"]);
}

#[tokio::test]
async fn guests_from_one_source_are_one_person_present() {
    let h = harness();
    let (room, _) = h.rooms.create(&h.host, new_room(true)).await.unwrap();
    for index in 0..5 {
        h.rooms
            .join_as_guest(
                &room.code,
                Nickname::parse(&format!("Bot {index}")).unwrap(),
                source("script"),
            )
            .await
            .unwrap();
    }
    h.rooms
        .join_as_guest(&room.code, Nickname::parse("Ada").unwrap(), source("phone"))
        .await
        .unwrap();
    let since = h.clock.now() - PRESENCE_WINDOW;
    // The host, the phone, and the script once.
    assert_eq!(h.store.present_count(room.id, since).await.unwrap(), 3);
}
