//! Go's labrpc tests (`src/labrpc/test_test.go`), by name, in real and simulated time.

mod junk;

use std::sync::Arc;

use junk::{assert_took_at_most, junk_network, within, JunkArgs, JunkReply, JunkServer};
use lab_runtime::run_test;
use lab_runtime::task::spawn;
use lab_runtime::time::{sleep, timeout, Duration, Instant};
use labrpc::{CallError, Network, Server};

/// A server numbered like Go's integer server names, with a JunkServer.
fn junk_server(net: &Network, name: impl ToString) -> Arc<JunkServer> {
    let js = Arc::new(JunkServer::default());
    let rs = Server::new();
    rs.add_service(js.service());
    net.add_server(name, rs);
    js
}

#[test]
fn basic() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("end1-99", "server99", true);
        let reply: String = e.call("JunkServer.Handler2", &111i64).await.unwrap();
        assert_eq!(reply, "handler2-111", "wrong reply from Handler2");
        let reply: i64 = e
            .call("JunkServer.Handler1", &"9099".to_string())
            .await
            .unwrap();
        assert_eq!(reply, 9099, "wrong reply from Handler1");
    });
}

#[test]
fn types() {
    run_test(|| async {
        let (_net, e, _js) = junk_network("end1-99", "server99", true);
        let reply: JunkReply = e
            .call("JunkServer.Handler4", &JunkArgs::default())
            .await
            .unwrap();
        assert_eq!(reply.x, "pointer", "wrong reply from Handler4");
        let reply: JunkReply = e
            .call("JunkServer.Handler5", &JunkArgs::default())
            .await
            .unwrap();
        assert_eq!(reply.x, "no pointer", "wrong reply from Handler5");
    });
}

/// Does disabling an end really disconnect it?
#[test]
fn disconnect() {
    run_test(|| async {
        let (net, e, js) = junk_network("end1-99", "server99", false);
        let reply = e.call::<_, String>("JunkServer.Handler2", &111i64).await;
        assert_eq!(
            reply,
            Err(CallError::NoReply),
            "unexpected reply from Handler2"
        );
        assert!(js.handler2_calls().is_empty());

        net.enable("end1-99", true);
        let reply: i64 = e
            .call("JunkServer.Handler1", &"9099".to_string())
            .await
            .unwrap();
        assert_eq!(reply, 9099, "wrong reply from Handler1");
    });
}

#[test]
fn counts() {
    run_test(|| async {
        let (net, e, _js) = junk_network("end1-99", "99", true);
        for i in 0..17i64 {
            let reply: String = e.call("JunkServer.Handler2", &i).await.unwrap();
            assert_eq!(reply, format!("handler2-{i}"));
        }
        assert_eq!(net.count(99), 17, "wrong count()");
    });
}

#[test]
fn bytes() {
    run_test(|| async {
        let (net, e, _js) = junk_network("end1-99", "99", true);
        let args = "x".repeat(72 * 4);
        for _ in 0..17 {
            let reply: i64 = e.call("JunkServer.Handler6", &args).await.unwrap();
            assert_eq!(reply, args.len() as i64, "wrong reply from Handler6");
        }
        let n = net.total_bytes();
        assert!(
            (4828..=6000).contains(&n),
            "wrong total_bytes() {n}, expected about 5000"
        );

        for _ in 0..17 {
            let reply: String = e.call("JunkServer.Handler7", &107i64).await.unwrap();
            assert_eq!(reply.len(), 107, "wrong reply length from Handler7");
        }
        let nn = net.total_bytes() - n;
        assert!(
            (1800..=2500).contains(&nn),
            "wrong total_bytes() {nn}, expected about 2000"
        );
    });
}

/// RPCs from many ends at once.
#[test]
fn concurrent_many() {
    run_test(|| async {
        let net = Network::new();
        junk_server(&net, 1000);
        let (nclients, nrpcs) = (20i64, 10i64);
        let clients: Vec<_> = (0..nclients)
            .map(|i| {
                let e = net.make_end(i);
                net.connect(i, 1000);
                net.enable(i, true);
                spawn(async move {
                    for j in 0..nrpcs {
                        let arg = i * 100 + j;
                        let reply: String = e.call("JunkServer.Handler2", &arg).await.unwrap();
                        assert_eq!(reply, format!("handler2-{arg}"));
                    }
                    nrpcs
                })
            })
            .collect();
        let mut total = 0;
        for client in clients {
            total += client.await.expect("a client panicked");
        }
        assert_eq!(total, nclients * nrpcs, "wrong number of RPCs completed");
        assert_eq!(net.count(1000) as i64, total, "wrong count()");
    });
}

#[test]
fn unreliable() {
    run_test(|| async {
        let net = Network::new();
        net.set_reliable(false);
        junk_server(&net, 1000);
        let nclients = 300i64;
        let clients: Vec<_> = (0..nclients)
            .map(|i| {
                let e = net.make_end(i);
                net.connect(i, 1000);
                net.enable(i, true);
                spawn(async move {
                    let arg = i * 100;
                    match e.call::<_, String>("JunkServer.Handler2", &arg).await {
                        Ok(reply) => {
                            assert_eq!(reply, format!("handler2-{arg}"));
                            1
                        }
                        Err(err) => {
                            assert_eq!(err, CallError::NoReply);
                            0
                        }
                    }
                })
            })
            .collect();
        let mut total = 0;
        for client in clients {
            total += client.await.expect("a client panicked");
        }
        assert!(
            total != nclients && total != 0,
            "{total} of {nclients} RPCs succeeded despite unreliable"
        );
    });
}

/// Concurrent RPCs from one end.
#[test]
fn concurrent_one() {
    run_test(|| async {
        let (net, e, js) = junk_network("c", "1000", true);
        let nrpcs = 20i64;
        let calls: Vec<_> = (0..nrpcs)
            .map(|i| {
                let e = e.clone();
                spawn(async move {
                    let arg = 100 + i;
                    let reply: String = e.call("JunkServer.Handler2", &arg).await.unwrap();
                    assert_eq!(reply, format!("handler2-{arg}"));
                })
            })
            .collect();
        for call in calls {
            call.await.expect("a call panicked");
        }
        assert_eq!(
            js.handler2_calls().len() as i64,
            nrpcs,
            "wrong number of RPCs delivered"
        );
        assert_eq!(net.count(1000) as i64, nrpcs, "wrong count()");
    });
}

/// An RPC delayed while its end is disabled must not delay later RPCs once it is enabled.
#[test]
fn regression1() {
    run_test(|| async {
        let (net, e, js) = junk_network("c", "1000", false);
        let nrpcs = 20i64;
        let delayed: Vec<_> = (0..nrpcs)
            .map(|i| {
                let e = e.clone();
                spawn(async move { e.call::<_, String>("JunkServer.Handler2", &(100 + i)).await })
            })
            .collect();
        sleep(Duration::from_millis(100)).await;

        let t0 = Instant::now();
        net.enable("c", true);
        let reply: String = e.call("JunkServer.Handler2", &99i64).await.unwrap();
        assert_eq!(reply, "handler2-99");
        // Go's bound, 30 ms of wall-clock time, checked in simulation only: load alone can
        // break it in real time.
        assert_took_at_most(
            "the first RPC after enable",
            t0.elapsed(),
            Duration::from_millis(30),
        );

        for call in delayed {
            let reply = call.await.expect("a call panicked");
            assert_eq!(
                reply,
                Err(CallError::NoReply),
                "a call sent while disabled was answered"
            );
        }
        assert_eq!(js.handler2_calls(), vec![99], "wrong RPCs delivered");
        assert_eq!(net.count(1000), 1, "wrong count()");
    });
}

/// An RPC stuck in a server gets un-stuck, with no reply, when the server is deleted.
#[test]
fn killed() {
    run_test(|| async {
        let (net, e, _js) = junk_network("end1-99", "server99", true);
        let mut call = spawn(async move { e.call::<_, i64>("JunkServer.Handler3", &99i64).await });
        sleep(Duration::from_millis(1000)).await;
        assert!(
            timeout(Duration::from_millis(100), &mut call)
                .await
                .is_err(),
            "Handler3 should not have returned yet"
        );

        net.delete_server("server99");
        match timeout(within(Duration::from_millis(100)), &mut call).await {
            Ok(reply) => assert_eq!(
                reply.expect("the call panicked"),
                Err(CallError::NoReply),
                "Handler3 returned successfully despite delete_server()"
            ),
            Err(_) => panic!("Handler3 should return after delete_server()"),
        }
    });
}
