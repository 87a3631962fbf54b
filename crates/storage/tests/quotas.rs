//! Quotas stored and spent in the database: the counts hold when many spend at once, through
//! two pools (two server processes) on one database.

// A failing test panics; that is how it reports.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use chrono::DateTime;
use soiree_kernel::{SystemClock, Tier, UserId};
use soiree_rooms::memory::{FixedAllowance, RecordingSink, StaticDirectory};
use soiree_rooms::{
    CreateRoomError, GuestSource, HostAllowance, JoinError, LikeThreshold, Member, NewRoom,
    Nickname, PRESENCE_WINDOW, RoomOptions, RoomRepository as _, RoomsService,
};
use soiree_storage::Database;
use soiree_tiers::{ChangedBy, Limit, Overrides, TierBook as _, TierChange};
use support::{account, test_databases};

fn rooms_on(database: &Database, allowance: HostAllowance) -> Arc<RoomsService> {
    Arc::new(RoomsService::new(
        Arc::new(database.rooms()),
        Arc::new(StaticDirectory::default()),
        Arc::new(FixedAllowance(allowance)),
        Arc::new(RecordingSink::default()),
        Arc::new(SystemClock),
    ))
}

fn new_room() -> NewRoom {
    NewRoom {
        name: None,
        like_threshold: LikeThreshold::DEFAULT,
        options: RoomOptions::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rooms_open_at_once_and_people_per_room_hold_under_parallel_requests_on_two_instances() {
    for test in test_databases().await {
        let backend = test.backend;
        let second = Database::connect(test.database_url()).await.unwrap();
        let host = Member {
            user_id: account(&test.database, "host").await,
            display_name: "Host".into(),
        };
        let allowance = HostAllowance {
            tier: Tier::Free,
            open_rooms: Some(3),
            people_per_room: Some(10),
        };
        let instances = [
            rooms_on(&test.database, allowance),
            rooms_on(&second, allowance),
        ];

        // 20 rooms asked for at once, half through each instance: three are made.
        let creations: Vec<_> = (0..20)
            .map(|attempt| {
                let rooms = Arc::clone(&instances[attempt % 2]);
                let host = host.clone();
                tokio::spawn(async move { rooms.create(&host, new_room()).await })
            })
            .collect();
        let mut made = Vec::new();
        for creation in creations {
            match creation.await.unwrap() {
                Ok((room, _)) => made.push(room),
                Err(CreateRoomError::TooManyOpenRooms { limit: 3, .. }) => {}
                Err(other) => panic!("{backend}: {other:?}"),
            }
        }
        assert_eq!(made.len(), 3, "{backend}: open rooms");

        // 30 guests join at once: the host and nine guests make the ten people allowed.
        let room = made[0].clone();
        let joins: Vec<_> = (0..30)
            .map(|attempt| {
                let rooms = Arc::clone(&instances[attempt % 2]);
                let code = room.code.clone();
                tokio::spawn(async move {
                    rooms
                        .join_as_guest(
                            &code,
                            Nickname::parse("Guest").unwrap(),
                            GuestSource::new(&format!("source-{attempt}")),
                        )
                        .await
                })
            })
            .collect();
        let mut joined = Vec::new();
        for join in joins {
            match join.await.unwrap() {
                Ok((_, participant, _)) => joined.push(participant),
                Err(JoinError::Full { limit: 10 }) => {}
                Err(other) => panic!("{backend}: {other:?}"),
            }
        }
        assert_eq!(joined.len(), 9, "{backend}: people in the room");
        // Every nickname made distinct as they came in, one at a time.
        let mut names: Vec<_> = joined
            .iter()
            .map(|guest| guest.display_name.as_str().to_owned())
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 9, "{backend}: {names:?}");
        second.close().await.unwrap();
        test.finish().await;
    }
}

#[tokio::test]
async fn guests_from_one_source_count_once_among_those_present() {
    for test in test_databases().await {
        let backend = test.backend;
        let host = Member {
            user_id: account(&test.database, "host").await,
            display_name: "Host".into(),
        };
        let rooms = rooms_on(&test.database, FixedAllowance::default().0);
        let (room, _) = rooms.create(&host, new_room()).await.unwrap();
        for (name, source) in [
            ("A", "script"),
            ("B", "script"),
            ("C", "script"),
            ("D", "phone"),
        ] {
            rooms
                .join_as_guest(
                    &room.code,
                    Nickname::parse(name).unwrap(),
                    GuestSource::new(source),
                )
                .await
                .unwrap();
        }
        let since = chrono::Utc::now() - PRESENCE_WINDOW;
        let present = test
            .database
            .rooms()
            .present_count(room.id, since)
            .await
            .unwrap();
        assert_eq!(present, 3, "{backend}: the host, the phone and the script");
        test.finish().await;
    }
}

#[tokio::test]
async fn tier_changes_are_stored_with_their_record() {
    for test in test_databases().await {
        let backend = test.backend;
        let user = account(&test.database, "ada").await;
        let book = test.database.tiers();
        assert_eq!(
            book.assignment(user).await.unwrap(),
            Some((Tier::Free, Overrides::default())),
            "{backend}"
        );
        let overrides = Overrides {
            open_rooms: Some(Limit::AtMost(20)),
            api_requests_per_hour: Some(Limit::Unlimited),
            ..Overrides::default()
        };
        let operator = UserId::generate();
        let at = DateTime::from_timestamp(1_800_000_100, 0).unwrap();
        let upgrade = TierChange {
            user,
            from: Tier::Free,
            to: Tier::Premium,
            overrides,
            by: ChangedBy::Operator(operator),
            reason: Some("band night".into()),
            at,
        };
        assert!(book.record(&upgrade).await.unwrap(), "{backend}");
        let downgrade = TierChange {
            from: Tier::Premium,
            to: Tier::Free,
            overrides: Overrides::default(),
            by: ChangedBy::CommandLine,
            reason: None,
            at: at + chrono::Duration::seconds(1),
            ..upgrade.clone()
        };
        assert!(book.record(&downgrade).await.unwrap(), "{backend}");
        assert_eq!(
            book.assignment(user).await.unwrap(),
            Some((Tier::Free, Overrides::default())),
            "{backend}"
        );
        assert_eq!(
            book.changes(user, 10).await.unwrap(),
            vec![downgrade.clone(), upgrade],
            "{backend}: the latest first"
        );
        let stranger = TierChange {
            user: UserId::generate(),
            ..downgrade
        };
        assert!(!book.record(&stranger).await.unwrap(), "{backend}");
        test.finish().await;
    }
}

#[tokio::test]
async fn nicknames_are_made_distinct_by_what_they_could_collide_with() {
    for test in test_databases().await {
        let backend = test.backend;
        let host = Member {
            user_id: account(&test.database, "host").await,
            display_name: "Host".into(),
        };
        let rooms = rooms_on(&test.database, FixedAllowance::default().0);
        let (room, _) = rooms.create(&host, new_room()).await.unwrap();
        let long = "L".repeat(40);
        let mut names = Vec::new();
        for (index, name) in [
            "Ada", "Ada", "Adam", "ada", "host", "50%_off", "50%_off", &long, &long,
        ]
        .into_iter()
        .enumerate()
        {
            let (_, guest, _) = rooms
                .join_as_guest(
                    &room.code,
                    Nickname::parse(name).unwrap(),
                    GuestSource::new(&format!("s{index}")),
                )
                .await
                .unwrap();
            names.push(guest.display_name.as_str().to_owned());
        }
        let shortened = format!("{} 2", "L".repeat(38));
        assert_eq!(
            names,
            [
                "Ada",
                "Ada 2",
                "Adam",
                "ada 3",
                "host 2",
                "50%_off",
                "50%_off 2",
                &long,
                &shortened
            ],
            "{backend}"
        );
        test.finish().await;
    }
}
