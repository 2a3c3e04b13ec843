//! What a call says when it cannot succeed: unknown names, wrong types, a network shut
//! down, a server cut off while its handler runs.

mod junk;

use junk::{assert_took_at_most, junk_network};
use lab_runtime::run_test;
use lab_runtime::task::spawn;
use std::sync::{Arc, Mutex, PoisonError};

use lab_runtime::time::{sleep, timeout, Duration, Instant};
use labrpc::{CallError, Network};

/// Records the programming errors the network reports to its hook.
fn record_programming_errors(net: &Network) -> Arc<Mutex<Vec<CallError>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    net.on_programming_error(move |err| {
        sink.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(err.clone())
    });
    seen
}

fn taken(seen: &Mutex<Vec<CallError>>) -> Vec<CallError> {
    std::mem::take(&mut *seen.lock().unwrap_or_else(PoisonError::into_inner))
}

#[test]
fn an_unknown_service_lists_the_services_offered() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("e", "s", true);
        let err = e
            .call::<_, String>("Nope.Handler2", &1i64)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            CallError::UnknownService {
                call: "Nope.Handler2".into(),
                service: "Nope".into(),
                offered: vec!["JunkServer".into()],
            }
        );
        assert!(err.to_string().contains("JunkServer"), "{err}");
    });
}

#[test]
fn an_unknown_method_lists_the_methods_offered() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("e", "s", true);
        let err = e
            .call::<_, String>("JunkServer.Nope", &1i64)
            .await
            .unwrap_err();
        let CallError::UnknownMethod {
            method, offered, ..
        } = &err
        else {
            panic!("expected UnknownMethod, got {err:?}");
        };
        assert_eq!(method, "Nope");
        let expected: Vec<String> = (1..=7).map(|i| format!("Handler{i}")).collect();
        assert_eq!(offered, &expected);
        assert!(err.to_string().contains("Handler7"), "{err}");
    });
}

#[test]
fn a_reply_of_the_wrong_type_is_an_error_naming_both_types() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("e", "s", true);
        let err = e
            .call::<_, i64>("JunkServer.Handler2", &1i64)
            .await
            .unwrap_err();
        let CallError::DecodeReply { source, .. } = &err else {
            panic!("expected DecodeReply, got {err:?}");
        };
        assert!(
            matches!(source, labgob::Error::WrongType { .. }),
            "{source:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("i64") && message.contains("String"),
            "{message}"
        );
    });
}

#[test]
fn arguments_of_the_wrong_type_are_refused_by_the_handler() {
    run_test(|| async {
        let (_net, e, js) = junk_network("e", "s", true);
        let err = e
            .call::<_, String>("JunkServer.Handler2", &"text".to_string())
            .await
            .unwrap_err();
        assert!(matches!(err, CallError::DecodeArgs { .. }), "{err:?}");
        assert!(js.handler2_calls().is_empty(), "the handler must not run");
    });
}

#[test]
fn after_cleanup_calls_fail_at_once() {
    run_test(|| async {
        let (net, e, js) = junk_network("e", "s", true);
        net.cleanup();
        let t0 = Instant::now();
        assert_eq!(
            e.call::<_, String>("JunkServer.Handler2", &1i64).await,
            Err(CallError::NoReply)
        );
        assert_took_at_most(
            "a call after cleanup",
            t0.elapsed(),
            Duration::from_millis(10),
        );
        assert!(js.handler2_calls().is_empty());
        assert_eq!(net.total_count(), 0, "a call on a shut network is not sent");
    });
}

#[test]
fn disabling_the_end_while_the_handler_runs_fails_the_call() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        let call = spawn(async move { e.call::<_, i64>("JunkServer.Handler3", &5i64).await });
        sleep(Duration::from_millis(50)).await;
        let t0 = Instant::now();
        net.enable("e", false);
        assert_eq!(
            call.await.expect("the call panicked"),
            Err(CallError::NoReply)
        );
        assert_took_at_most(
            "a call whose end was disabled",
            t0.elapsed(),
            Duration::from_millis(100),
        );
    });
}

#[test]
fn a_missing_server_answers_nothing() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        net.connect("e", "nobody");
        assert_eq!(
            e.call::<_, String>("JunkServer.Handler2", &1i64).await,
            Err(CallError::NoReply)
        );
        assert_eq!(net.count("s"), 0);
        assert_eq!(net.total_count(), 1, "the request was still sent");
    });
}

#[test]
fn the_hook_hears_of_a_misspelled_method_by_name() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        let seen = record_programming_errors(&net);
        let err = e
            .call::<_, String>("JunkServer.Handlr2", &1i64)
            .await
            .unwrap_err();
        let reported = taken(&seen);
        assert_eq!(reported, vec![err], "the hook must hear of the error once");
        assert!(
            reported[0].to_string().contains("Handlr2"),
            "{}",
            reported[0]
        );
    });
}

/// Each kind of programming error reaches the hook: unknown service, arguments the handler
/// cannot decode, a reply of the wrong type.
#[test]
fn the_hook_hears_of_every_programming_error() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        let seen = record_programming_errors(&net);
        let _ = e.call::<_, String>("Nope.Handler2", &1i64).await;
        let _ = e
            .call::<_, String>("JunkServer.Handler2", &"text".to_string())
            .await;
        let _ = e.call::<_, i64>("JunkServer.Handler2", &1i64).await;
        let reported = taken(&seen);
        assert!(
            matches!(
                reported.as_slice(),
                [
                    CallError::UnknownService { .. },
                    CallError::DecodeArgs { .. },
                    CallError::DecodeReply { .. }
                ]
            ),
            "{reported:?}"
        );
    });
}

/// Lost requests and replies, a disabled end, a missing or deleted server: the network's
/// silence, not a programming error.
#[test]
fn the_hook_stays_silent_for_lost_calls() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        let seen = record_programming_errors(&net);
        net.set_reliable(false);
        let mut lost = 0;
        for i in 0..100i64 {
            match e.call::<_, String>("JunkServer.Handler2", &i).await {
                Ok(reply) => assert_eq!(reply, format!("handler2-{i}")),
                Err(err) => {
                    assert_eq!(err, CallError::NoReply);
                    lost += 1;
                }
            }
        }
        assert!(lost > 0, "an unreliable network lost none of 100 calls");
        net.set_reliable(true);
        net.enable("e", false);
        assert_eq!(
            e.call::<_, String>("JunkServer.Handler2", &1i64).await,
            Err(CallError::NoReply)
        );
        net.enable("e", true);
        net.delete_server("s");
        assert_eq!(
            e.call::<_, String>("JunkServer.Handler2", &1i64).await,
            Err(CallError::NoReply)
        );
        assert_eq!(taken(&seen), vec![], "a lost call is no programming error");
    });
}

/// A server deleted while requests are still in their unreliable delay (before their
/// handlers start) fails those calls at once, not when the slow handler returns.
#[test]
fn deleting_the_server_during_the_request_delay_fails_the_call_quickly() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        net.set_reliable(false);
        // Many calls, so that some are neither dropped nor past their 0-27 ms delay.
        let calls: Vec<_> = (0..20i64)
            .map(|i| {
                let e = e.clone();
                spawn(async move { e.call::<_, i64>("JunkServer.Handler3", &i).await })
            })
            .collect();
        sleep(Duration::from_millis(1)).await;
        net.delete_server("s");
        let t0 = Instant::now();
        for call in calls {
            let reply = timeout(Duration::from_secs(5), call)
                .await
                .expect("a call waited for the deleted server's slow handler");
            assert_eq!(reply.expect("the call panicked"), Err(CallError::NoReply));
        }
        assert_took_at_most(
            "the calls to a deleted server",
            t0.elapsed(),
            Duration::from_millis(100),
        );
    });
}

/// The hook hears of every programming error at the server, even when the reply that
/// carries it back is lost.
#[test]
fn the_hook_hears_of_errors_whose_reply_is_lost() {
    run_test(|| async {
        let (net, e, _js) = junk_network("e", "s", true);
        let seen = record_programming_errors(&net);
        net.set_reliable(false);
        let mut returned = 0;
        for _ in 0..50 {
            match e.call::<_, String>("JunkServer.Nope", &1i64).await {
                Err(CallError::UnknownMethod { .. }) => returned += 1,
                Err(CallError::NoReply) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        let reported = taken(&seen);
        assert_eq!(reported.len(), net.count("s"), "one report per RPC served");
        assert!(reported.len() >= returned);
        assert!(reported
            .iter()
            .all(|err| matches!(err, CallError::UnknownMethod { method, .. } if method == "Nope")));
    });
}
