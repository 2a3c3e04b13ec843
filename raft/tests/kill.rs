//! A killed peer stops its tasks and sends nothing more.

use lab_runtime::time::sleep;
use tester::harness::run_test;
use tester::{Config, ELECTION_TIMEOUT};

#[test]
fn killed_peers_send_no_more_rpcs() {
    run_test(|| async {
        let cfg = Config::<raft::Raft>::new(3, false, false);
        cfg.check_one_leader().await;
        for peer in 0..3 {
            cfg.crash1(peer);
        }
        // RPCs already on their way may still be answered; none may start from now on.
        let sent = cfg.rpc_total();
        sleep(2 * ELECTION_TIMEOUT).await;
        assert_eq!(cfg.rpc_total(), sent, "a killed peer sent RPCs");
    });
}
