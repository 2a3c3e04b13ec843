//! What a call says when it cannot succeed: unknown names, wrong types, a network shut
//! down, a server cut off while its handler runs.

mod junk;

use junk::junk_network;
use lab_runtime::run_test;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, Duration, Instant};
use labrpc::CallError;

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
        assert!(
            t0.elapsed() < Duration::from_millis(10),
            "took {:?}",
            t0.elapsed()
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
        assert!(
            t0.elapsed() < Duration::from_millis(100),
            "took {:?}",
            t0.elapsed()
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
