//! The Slurm array logic, run locally (deploy/slurm/dry_run.sh): shards
//! computed task by task with the variables Slurm sets, then merged, give
//! the summary of a single run byte for byte. The Kubernetes manifests are
//! checked for the fields the Indexed Job relies on.

use std::process::Command;

#[test]
fn slurm_dry_run_merges_to_the_single_run_summary() {
    let tmp = std::env::temp_dir().join(format!("hfsim-deploy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let hfsim = env!("CARGO_BIN_EXE_hfsim");
    let out = Command::new("bash")
        .args(["deploy/slurm/dry_run.sh", "3", "--replicates", "12"])
        .env("SCENARIO", "tests/fixtures/small_trial.toml")
        .env("OUT", tmp.join("array"))
        .env("HFSIM", hfsim)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let single = tmp.join("single");
    let o = Command::new(hfsim)
        .args([
            "run",
            "tests/fixtures/small_trial.toml",
            "--replicates",
            "12",
            "--no-progress",
            "--out",
            single.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let a = std::fs::read_to_string(single.join("summary.json")).unwrap();
    let b = std::fs::read_to_string(tmp.join("array/merged/summary.json")).unwrap();
    assert_eq!(a, b);
    for i in 0..3 {
        assert!(tmp.join(format!("array/shard_{i}/state.json")).exists());
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn kubernetes_job_is_indexed_and_shares_a_volume() {
    let job = std::fs::read_to_string("deploy/kubernetes/hfsim-shards.yaml").unwrap();
    for needle in [
        "kind: Job",
        "completionMode: Indexed",
        "JOB_COMPLETION_INDEX",
        "--shard \"$I/$N\"",
        "persistentVolumeClaim",
        "completions: 20",
        "N=20",
    ] {
        assert!(job.contains(needle), "hfsim-shards.yaml lacks {needle:?}");
    }
    let merge = std::fs::read_to_string("deploy/kubernetes/hfsim-merge.yaml").unwrap();
    assert!(merge.contains("hfsim merge /data/out/prime_hfref/shard_*"));
    let array = std::fs::read_to_string("deploy/slurm/hfsim_array.sbatch").unwrap();
    assert!(array.contains("#SBATCH --array") && array.contains("SLURM_ARRAY_TASK_ID"));
    let submit = std::fs::read_to_string("deploy/slurm/submit.sh").unwrap();
    assert!(submit.contains("--dependency=\"afterok:${array}\""));
}
