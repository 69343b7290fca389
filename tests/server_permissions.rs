//! AddPermission and RemovePermission against the embedded server, through the SDK and the
//! Query protocol: the `Policy` attribute as SQS writes it (recorded on AWS), and SQS's errors.

use crate::util::http::{RawResponse, json_call, query, query_attributes, xml_text};
use crate::util::sdk::attributes;
use crate::util::server::start_with_queue;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::ProvideErrorMetadata;
use aws_sdk_sqs::types::QueueAttributeName;
use queue::server::LocalServer;

async fn policy(client: &Client, url: &str) -> Option<String> {
    attributes(client, url, QueueAttributeName::Policy)
        .await
        .remove(&QueueAttributeName::Policy)
}

async fn add(client: &Client, url: &str, label: &str, accounts: &[&str], actions: &[&str]) {
    client
        .add_permission()
        .queue_url(url)
        .label(label)
        .set_aws_account_ids(Some(accounts.iter().map(ToString::to_string).collect()))
        .set_actions(Some(actions.iter().map(ToString::to_string).collect()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn permissions_live_in_the_policy_as_sqs_writes_it() {
    let (server, client, url) = start_with_queue("shared").await;
    let arn = "arn:aws:sqs:us-east-1:000000000000:shared";
    assert_eq!(policy(&client, &url).await, None);

    add(
        &client,
        &url,
        "crossaccountpermission",
        &["668614515564", "111111111111"],
        &["ReceiveMessage"],
    )
    .await;
    assert_eq!(
        policy(&client, &url).await.unwrap(),
        format!(
            r#"{{"Version":"2008-10-17","Id":"{arn}/SQSDefaultPolicy","Statement":[{{"Sid":"crossaccountpermission","Effect":"Allow","Principal":{{"AWS":["arn:aws:iam::668614515564:root","arn:aws:iam::111111111111:root"]}},"Action":"SQS:ReceiveMessage","Resource":"{arn}"}}]}}"#
        )
    );
    let error = client
        .add_permission()
        .queue_url(&url)
        .label("crossaccountpermission")
        .aws_account_ids("111111111111")
        .actions("SendMessage")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidParameterValue"));
    assert_eq!(
        error.message(),
        Some(
            "Value crossaccountpermission for parameter Label is invalid. Reason: Already exists."
        )
    );

    add(
        &client,
        &url,
        "second",
        &["111111111111"],
        &["SendMessage", "DeleteMessage"],
    )
    .await;
    let document: serde_json::Value =
        serde_json::from_str(&policy(&client, &url).await.unwrap()).unwrap();
    assert_eq!(document["Statement"][1]["Sid"], "second");
    assert_eq!(
        document["Statement"][1]["Principal"]["AWS"],
        "arn:aws:iam::111111111111:root"
    );
    assert_eq!(
        document["Statement"][1]["Action"],
        serde_json::json!(["SQS:SendMessage", "SQS:DeleteMessage"])
    );
    assert_eq!(document["Statement"][1]["Resource"], arn);

    client
        .remove_permission()
        .queue_url(&url)
        .label("crossaccountpermission")
        .send()
        .await
        .unwrap();
    let document: serde_json::Value =
        serde_json::from_str(&policy(&client, &url).await.unwrap()).unwrap();
    assert_eq!(document["Statement"].as_array().unwrap().len(), 1);
    assert_eq!(document["Statement"][0]["Sid"], "second");

    client
        .remove_permission()
        .queue_url(&url)
        .label("second")
        .send()
        .await
        .unwrap();
    assert_eq!(
        policy(&client, &url).await,
        None,
        "the last statement takes the policy"
    );
    let all = attributes(&client, &url, QueueAttributeName::All).await;
    assert!(!all.contains_key(&QueueAttributeName::Policy));
    let error = client
        .remove_permission()
        .queue_url(&url)
        .label("second")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        Some("Value second for parameter Label is invalid. Reason: can't find label.")
    );

    // Over JSON the answer keeps an empty map, as recorded on AWS.
    let ask_policy = format!(r#"{{"QueueUrl":"{url}","AttributeNames":["Policy"]}}"#);
    let raw = json_call(&server, "GetQueueAttributes", &ask_policy).await;
    assert_eq!(raw.json(), serde_json::json!({"Attributes": {}}));
}

#[tokio::test]
async fn bad_permissions_get_sqs_s_errors() {
    let (_server, client, url) = start_with_queue("guarded").await;
    let attempt = |accounts: Vec<&str>, actions: Vec<&str>| {
        client
            .add_permission()
            .queue_url(&url)
            .label("l")
            .set_aws_account_ids(Some(accounts.into_iter().map(String::from).collect()))
            .set_actions(Some(actions.into_iter().map(String::from).collect()))
            .send()
    };
    let error = attempt(vec!["111111111111"], vec!["SendMessage"; 8])
        .await
        .unwrap_err();
    assert!(error.as_service_error().unwrap().is_over_limit());
    assert_eq!(error.raw_response().unwrap().status().as_u16(), 403);
    assert_eq!(
        error.message(),
        Some("8 Actions were found, maximum allowed is 7.")
    );
    let error = attempt(vec!["111111111111"], vec!["RemovePermission"])
        .await
        .unwrap_err();
    assert_eq!(
        error.message(),
        Some(
            "Value SQS:RemovePermission for parameter ActionName is invalid. Reason: Only the queue owner is allowed to invoke this action."
        )
    );
    let error = attempt(vec!["111111111111"], vec!["Teleport"])
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("InvalidParameterValue"));
    let error = attempt(vec!["111111111111"], vec![]).await.unwrap_err();
    assert_eq!(error.code(), Some("MissingParameter"));
    let error = attempt(vec![], vec!["SendMessage"]).await.unwrap_err();
    assert_eq!(
        error.message(),
        Some("Value [] for parameter PrincipalId is invalid. Reason: Unable to verify.")
    );
    let error = client
        .add_permission()
        .queue_url(format!("{url}-gone"))
        .label("l")
        .aws_account_ids("111111111111")
        .actions("SendMessage")
        .send()
        .await
        .unwrap_err();
    assert!(error.as_service_error().unwrap().is_queue_does_not_exist());
    assert_eq!(policy(&client, &url).await, None, "nothing was written");
}

/// AddPermission of `label` for one account and these actions over the Query protocol.
async fn add_by_query(
    server: &LocalServer,
    url: &str,
    label: &str,
    account: &str,
    actions: &[&str],
) -> RawResponse {
    let names: Vec<String> = (1..=actions.len())
        .map(|n| format!("ActionName.{n}"))
        .collect();
    let mut form = vec![
        ("Action", "AddPermission"),
        ("QueueUrl", url),
        ("Label", label),
        ("AWSAccountId.1", account),
    ];
    form.extend(
        names
            .iter()
            .map(String::as_str)
            .zip(actions.iter().copied()),
    );
    query(server, &form).await
}

/// RemovePermission of `label` over the Query protocol.
async fn remove_by_query(server: &LocalServer, url: &str, label: &str) -> RawResponse {
    let form = [
        ("Action", "RemovePermission"),
        ("QueueUrl", url),
        ("Label", label),
    ];
    query(server, &form).await
}

#[tokio::test]
async fn the_query_protocol_adds_and_removes_permissions() {
    let (server, _client, url) = start_with_queue("by-query").await;
    let actions = ["SendMessage", "ReceiveMessage"];
    let added = add_by_query(&server, &url, "q1", "111111111111", &actions).await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert!(
        added.body.contains("<AddPermissionResponse"),
        "{}",
        added.body
    );
    assert!(
        !added.body.contains("<AddPermissionResult"),
        "{}",
        added.body
    );
    let listed = query_attributes(&server, &url, "Policy").await;
    assert!(
        listed.body.contains(
            "&quot;Action&quot;:[&quot;SQS:SendMessage&quot;,&quot;SQS:ReceiveMessage&quot;]"
        ),
        "{}",
        listed.body
    );
    let removed = remove_by_query(&server, &url, "q1").await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    let again = remove_by_query(&server, &url, "q1").await;
    assert_eq!(again.status, 400);
    assert_eq!(
        xml_text(&again.body, "Code").as_deref(),
        Some("InvalidParameterValue")
    );
    let empty = query_attributes(&server, &url, "Policy").await;
    assert!(!empty.body.contains("<Attribute>"), "{}", empty.body);
}
