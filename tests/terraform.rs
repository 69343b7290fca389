//! The Terraform in `terraform/` creates the queues the tool expects, with settings AWS accepts.
//!
//! Providers cannot be downloaded here, so instead of `terraform validate` the `.tf` files are
//! parsed with `hcl-rs` and the facts that matter are checked: the practical's queue names and
//! FIFO settings match `queue::cli`, FIFO-ness follows the `.fifo` suffix, dead-letter queues
//! and SNS subscriptions never mix FIFO and standard, and every SNS queue policy carries
//! `Version = "2012-10-17"`.

use std::collections::BTreeMap;
use std::path::Path;

use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::{Block, Body};

use queue::cli::{PRAC_FIFO_QUEUE, PRAC_STANDARD_QUEUE};
use queue::server::StartupTopic;

/// Every top-level block of every `terraform/*.tf` file.
fn blocks() -> Vec<Block> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("terraform");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("terraform/ exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tf"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "expected the .tf files, found {files:?}");
    files
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("readable .tf file");
            let body: Body = hcl::parse(&text)
                .unwrap_or_else(|err| panic!("{} does not parse: {err}", path.display()));
            body.into_blocks().collect::<Vec<_>>()
        })
        .collect()
}

fn labels(block: &Block) -> Vec<&str> {
    block.labels().iter().map(|label| label.as_str()).collect()
}

/// `resource "<kind>" "<name>"` bodies by name.
fn resources(blocks: &[Block], kind: &str) -> BTreeMap<String, Body> {
    blocks
        .iter()
        .filter(|block| block.identifier() == "resource" && labels(block)[0] == kind)
        .map(|block| (labels(block)[1].to_string(), block.body().clone()))
        .collect()
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes()
        .find(|attribute| attribute.key() == key)
        .map(|attribute| attribute.expr())
}

fn string_attr<'a>(body: &'a Body, key: &str) -> &'a str {
    match attr(body, key) {
        Some(Expression::String(value)) => value,
        other => panic!("{key} should be a literal string, is {other:?}"),
    }
}

/// A boolean attribute that is absent (false) or a literal.
fn flag(body: &Body, key: &str) -> bool {
    match attr(body, key) {
        None => false,
        Some(Expression::Bool(value)) => *value,
        Some(other) => panic!("{key} should be a literal bool, is {other:?}"),
    }
}

fn object_get<'a>(object: &'a Expression, key: &str) -> Option<&'a Expression> {
    let Expression::Object(object) = object else {
        panic!("expected an object, got {object:?}")
    };
    object.iter().find_map(|(k, v)| {
        let name = match k {
            ObjectKey::Identifier(ident) => ident.as_str(),
            ObjectKey::Expression(Expression::String(s)) => s.as_str(),
            _ => return None,
        };
        (name == key).then_some(v)
    })
}

/// The resource of `kind` an expression refers to (`kind.name...`), looking through `one(...)`,
/// splats, indexes and attribute access.
fn referenced(expr: &Expression, kind: &str) -> Option<String> {
    match expr {
        Expression::Traversal(traversal) => match (&traversal.expr, traversal.operators.first()) {
            (Expression::Variable(root), Some(TraversalOperator::GetAttr(name)))
                if root.as_str() == kind =>
            {
                Some(name.to_string())
            }
            _ => None,
        },
        Expression::FuncCall(call) => call.args.iter().find_map(|arg| referenced(arg, kind)),
        Expression::Parenthesis(inner) => referenced(inner, kind),
        _ => None,
    }
}

/// The single argument of `jsonencode(...)`.
fn jsonencoded(expr: &Expression) -> &Expression {
    match expr {
        Expression::FuncCall(call) if call.name.name.as_str() == "jsonencode" => &call.args[0],
        other => panic!("expected jsonencode(...), got {other:?}"),
    }
}

#[test]
fn practical_queues_have_the_names_and_fifo_settings_the_tool_uses() {
    let queues = resources(&blocks(), "aws_sqs_queue");
    let named = |name: &str| {
        let found: Vec<_> = queues
            .values()
            .filter(|body| string_attr(body, "name") == name)
            .collect();
        assert_eq!(found.len(), 1, "exactly one queue named {name}");
        found[0].clone()
    };

    let standard = named(PRAC_STANDARD_QUEUE);
    assert!(!flag(&standard, "fifo_queue"));
    assert!(attr(&standard, "count").is_none(), "always created");

    let fifo = named(PRAC_FIFO_QUEUE);
    assert!(flag(&fifo, "fifo_queue"));
    assert!(flag(&fifo, "content_based_deduplication"));
    assert!(attr(&fifo, "count").is_none(), "always created");
}

#[test]
fn queues_and_topics_are_fifo_exactly_when_named_dot_fifo() {
    let blocks = blocks();
    for (kind, fifo_key) in [
        ("aws_sqs_queue", "fifo_queue"),
        ("aws_sns_topic", "fifo_topic"),
    ] {
        let all = resources(&blocks, kind);
        assert!(!all.is_empty(), "no {kind}");
        for (resource, body) in all {
            let name = string_attr(&body, "name");
            assert_eq!(
                flag(&body, fifo_key),
                name.ends_with(".fifo"),
                "{kind}.{resource} ({name})"
            );
            if flag(&body, "content_based_deduplication") {
                assert!(flag(&body, fifo_key), "{kind}.{resource}: dedup needs FIFO");
            }
        }
    }
}

#[test]
fn dead_letter_queues_match_their_source_queue_kind() {
    let queues = resources(&blocks(), "aws_sqs_queue");
    let mut checked = 0;
    for (resource, body) in &queues {
        let Some(redrive) = attr(body, "redrive_policy") else {
            continue;
        };
        let Expression::Conditional(conditional) = redrive else {
            panic!("{resource}: redrive_policy should depend on var.dead_letter_queues")
        };
        assert!(matches!(conditional.false_expr, Expression::Null));
        let policy = jsonencoded(&conditional.true_expr);
        let target = object_get(policy, "deadLetterTargetArn")
            .and_then(|arn| referenced(arn, "aws_sqs_queue"))
            .unwrap_or_else(|| panic!("{resource}: deadLetterTargetArn names no queue"));
        assert_eq!(
            flag(&queues[&target], "fifo_queue"),
            flag(body, "fifo_queue"),
            "{resource} -> {target}"
        );
        assert!(object_get(policy, "maxReceiveCount").is_some());
        checked += 1;
    }
    assert_eq!(checked, 2, "both practical queues have an optional DLQ");
}

#[test]
fn sns_delivers_raw_to_queues_of_its_own_kind_with_a_policy_for_each() {
    let blocks = blocks();
    let topics = resources(&blocks, "aws_sns_topic");
    let queues = resources(&blocks, "aws_sqs_queue");

    let subscriptions = resources(&blocks, "aws_sns_topic_subscription");
    let policies = resources(&blocks, "aws_sqs_queue_policy");
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(policies.len(), 1);
    let subscription = &subscriptions["fanout"];
    let policy = &policies["fanout"];
    assert_eq!(string_attr(subscription, "protocol"), "sqs");
    assert!(flag(subscription, "raw_message_delivery"));
    assert_eq!(
        attr(subscription, "for_each"),
        attr(policy, "for_each"),
        "every subscribed queue gets a policy"
    );

    // locals { fanout = { for key, route in { ... } : key => route if var.sns_fanout } }
    let fanout = blocks
        .iter()
        .filter(|block| block.identifier() == "locals")
        .find_map(|block| attr(block.body(), "fanout"))
        .expect("local.fanout");
    let Expression::ForExpr(for_expr) = fanout else {
        panic!("local.fanout should be a for expression, is {fanout:?}")
    };
    assert!(for_expr.cond_expr.is_some(), "filtered by var.sns_fanout");
    let Expression::Object(routes) = &for_expr.collection_expr else {
        panic!("local.fanout should iterate over an object")
    };
    let mut delivered_to = Vec::new();
    for (key, route) in routes {
        let topic = object_get(route, "topic_arn")
            .and_then(|e| referenced(e, "aws_sns_topic"))
            .unwrap_or_else(|| panic!("{key:?}: topic_arn names no topic"));
        let queue_arn = object_get(route, "queue_arn").and_then(|e| referenced(e, "aws_sqs_queue"));
        let queue_url = object_get(route, "queue_url").and_then(|e| referenced(e, "aws_sqs_queue"));
        assert_eq!(queue_arn, queue_url, "{key:?}: arn and url of one queue");
        let queue = queue_arn.unwrap_or_else(|| panic!("{key:?}: names no queue"));
        assert_eq!(
            flag(&topics[&topic], "fifo_topic"),
            flag(&queues[&queue], "fifo_queue"),
            "{key:?}: topic {topic} -> queue {queue}"
        );
        delivered_to.push((
            string_attr(&topics[&topic], "name").to_string(),
            string_attr(&queues[&queue], "name").to_string(),
        ));
    }
    // `queue serve` wires the same topics to the same queues (its practical topics).
    let mut served: Vec<(String, String)> = StartupTopic::practical()
        .into_iter()
        .flat_map(|t| t.queues.into_iter().map(move |q| (t.name.clone(), q)))
        .collect();
    served.sort();
    delivered_to.sort();
    assert_eq!(delivered_to, served);
    for name in [PRAC_STANDARD_QUEUE, PRAC_FIFO_QUEUE] {
        assert!(
            delivered_to.iter().any(|(_, q)| q == name),
            "{name} is subscribed"
        );
    }
}

#[test]
fn sns_queue_policy_has_version_2012_10_17_and_lets_only_sns_send() {
    let policies = resources(&blocks(), "aws_sqs_queue_policy");
    assert!(!policies.is_empty());
    for (resource, body) in policies {
        let document = jsonencoded(attr(&body, "policy").expect("policy"));
        assert_eq!(
            object_get(document, "Version"),
            Some(&Expression::String("2012-10-17".into())),
            "{resource}: without this Version apply hangs"
        );
        let Some(Expression::Array(statements)) = object_get(document, "Statement") else {
            panic!("{resource}: Statement should be a list")
        };
        for statement in statements {
            let principal = object_get(statement, "Principal").expect("Principal");
            assert_eq!(
                object_get(principal, "Service"),
                Some(&Expression::String("sns.amazonaws.com".into()))
            );
            assert_eq!(
                object_get(statement, "Action"),
                Some(&Expression::String("sqs:SendMessage".into()))
            );
            let condition = object_get(statement, "Condition").expect("Condition");
            let arn_equals = object_get(condition, "ArnEquals").expect("ArnEquals");
            assert!(
                object_get(arn_equals, "aws:SourceArn").is_some(),
                "only our topic"
            );
        }
    }
}

#[test]
fn provider_region_and_credentials_are_variables_with_the_practical_defaults() {
    let blocks = blocks();
    let variable = |name: &str| {
        blocks
            .iter()
            .find(|block| block.identifier() == "variable" && labels(block) == [name])
            .unwrap_or_else(|| panic!("variable {name}"))
            .body()
            .clone()
    };
    assert_eq!(string_attr(&variable("region"), "default"), "us-east-1");
    assert_eq!(
        string_attr(&variable("credentials_file"), "default"),
        "./credentials"
    );
    // The optional extras cost nothing unless asked for.
    assert!(!flag(&variable("dead_letter_queues"), "default"));
    assert!(!flag(&variable("sns_fanout"), "default"));

    let provider = blocks
        .iter()
        .find(|block| block.identifier() == "provider" && labels(block) == ["aws"])
        .expect("provider aws")
        .body();
    assert_eq!(
        referenced(attr(provider, "region").unwrap(), "var"),
        Some("region".into())
    );
    let Some(Expression::Array(files)) = attr(provider, "shared_credentials_files") else {
        panic!("shared_credentials_files should be a list")
    };
    assert_eq!(
        referenced(&files[0], "var"),
        Some("credentials_file".into())
    );

    let terraform = blocks
        .iter()
        .find(|block| block.identifier() == "terraform")
        .expect("terraform block")
        .body();
    let required = terraform
        .blocks()
        .find(|block| block.identifier() == "required_providers")
        .expect("required_providers")
        .body();
    let aws = attr(required, "aws").expect("aws provider");
    assert_eq!(
        object_get(aws, "version"),
        Some(&Expression::String("~> 5.0".into()))
    );
}

#[test]
fn outputs_give_the_practical_queue_urls_and_arns() {
    let blocks = blocks();
    let outputs: BTreeMap<_, _> = blocks
        .iter()
        .filter(|block| block.identifier() == "output")
        .map(|block| (labels(block)[0].to_string(), block.body().clone()))
        .collect();
    for (output, resource) in [
        ("standard_queue_url", "prac"),
        ("standard_queue_arn", "prac"),
        ("fifo_queue_url", "prac_fifo"),
        ("fifo_queue_arn", "prac_fifo"),
    ] {
        let body = outputs
            .get(output)
            .unwrap_or_else(|| panic!("output {output}"));
        let value = attr(body, "value").expect("value");
        assert_eq!(
            referenced(value, "aws_sqs_queue").as_deref(),
            Some(resource),
            "{output}"
        );
    }
}
