//! IQM's job status words (`iqm_server_client.models.JobStatus`) as our
//! [`VendorStatus`], with a failed job's reason.

use super::wire::JobData;
use crate::adapters::backend::remote::VendorStatus;
use crate::adapters::backend::remote::http::vendor_message;
use crate::domain::{Error, Result};

/// IQM's job status words (`iqm_server_client.models.JobStatus`) as ours.
pub fn vendor_status(job: &JobData) -> Result<VendorStatus> {
    Ok(match job.status.as_str() {
        "waiting" => VendorStatus::Waiting {
            queue_position: job.queue_position,
        },
        "processing" => VendorStatus::Running,
        "completed" => VendorStatus::Completed,
        "cancelled" => VendorStatus::Cancelled,
        "failed" => VendorStatus::Failed {
            reason: failure_reason(job),
        },
        other => {
            return Err(Error::internal(format!(
                "IQM reported job {} in status '{other}', which this server does not know",
                job.id
            )));
        }
    })
}

/// The job's errors (else its messages) as IQM wrote them, shortened and
/// with anything like a credential blanked.
fn failure_reason(job: &JobData) -> String {
    let errors: Vec<String> = job
        .errors
        .iter()
        .map(|e| match &e.error_code {
            Some(code) => format!("{code}: {}", e.message),
            None => e.message.clone(),
        })
        .collect();
    let said = if errors.is_empty() {
        job.messages
            .iter()
            .map(|m| m.message.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        errors.join("; ")
    };
    let reason = vendor_message(&said);
    if reason.is_empty() {
        "IQM reported the job failed without a reason".to_owned()
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ErrorKind;

    fn job(json: serde_json::Value) -> JobData {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn every_status_word_is_mapped() {
        let id = "9f0e1a2b-0000-4000-8000-000000000001";
        let status = |word: &str| {
            vendor_status(&job(
                serde_json::json!({"id": id, "status": word, "queue_position": 3}),
            ))
        };
        assert_eq!(
            status("waiting").unwrap(),
            VendorStatus::Waiting {
                queue_position: Some(3)
            }
        );
        assert_eq!(status("processing").unwrap(), VendorStatus::Running);
        assert_eq!(status("completed").unwrap(), VendorStatus::Completed);
        assert_eq!(status("cancelled").unwrap(), VendorStatus::Cancelled);
        assert!(matches!(
            status("failed").unwrap(),
            VendorStatus::Failed { .. }
        ));
        assert_eq!(status("exploded").unwrap_err().kind(), ErrorKind::Internal);
    }

    #[test]
    fn a_failure_carries_iqm_s_errors() {
        let failed = job(serde_json::json!({
            "id": "j", "status": "failed",
            "errors": [{"source": "iqm-server", "message": "QB9 is not calibrated", "error_code": "compilation_failed"}],
            "messages": [{"source": "iqm-server", "message": "compiled"}]
        }));
        assert_eq!(
            vendor_status(&failed).unwrap(),
            VendorStatus::Failed {
                reason: "compilation_failed: QB9 is not calibrated".into()
            }
        );
        let silent = job(serde_json::json!({"id": "j", "status": "failed"}));
        let VendorStatus::Failed { reason } = vendor_status(&silent).unwrap() else {
            panic!("not failed")
        };
        assert!(reason.contains("without a reason"));
    }
}
