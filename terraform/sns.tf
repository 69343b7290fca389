# Optional fan-out (var.sns_fanout): a message published to a topic arrives in every queue
# subscribed to it. A FIFO queue can only subscribe to a FIFO topic, so each kind of queue has
# its own topic, delivering to the practical queue and to a second subscriber queue.

resource "aws_sns_topic" "prac" {
  count = var.sns_fanout ? 1 : 0
  name  = "csse6400_prac_topic"
}

resource "aws_sns_topic" "prac_fifo" {
  count                       = var.sns_fanout ? 1 : 0
  name                        = "csse6400_prac_topic.fifo"
  fifo_topic                  = true
  content_based_deduplication = true
}

resource "aws_sqs_queue" "subscriber" {
  count = var.sns_fanout ? 1 : 0
  name  = "csse6400_prac_subscriber"
}

resource "aws_sqs_queue" "subscriber_fifo" {
  count                       = var.sns_fanout ? 1 : 0
  name                        = "csse6400_prac_subscriber.fifo"
  fifo_queue                  = true
  content_based_deduplication = true
}

locals {
  # Which topic delivers to which queue; empty unless var.sns_fanout. one(...) is null, not an
  # error, while the optional resources do not exist.
  fanout = {
    for key, route in {
      prac = {
        topic_arn = one(aws_sns_topic.prac[*].arn)
        queue_arn = aws_sqs_queue.prac.arn
        queue_url = aws_sqs_queue.prac.url
      }
      subscriber = {
        topic_arn = one(aws_sns_topic.prac[*].arn)
        queue_arn = one(aws_sqs_queue.subscriber[*].arn)
        queue_url = one(aws_sqs_queue.subscriber[*].url)
      }
      prac_fifo = {
        topic_arn = one(aws_sns_topic.prac_fifo[*].arn)
        queue_arn = aws_sqs_queue.prac_fifo.arn
        queue_url = aws_sqs_queue.prac_fifo.url
      }
      subscriber_fifo = {
        topic_arn = one(aws_sns_topic.prac_fifo[*].arn)
        queue_arn = one(aws_sqs_queue.subscriber_fifo[*].arn)
        queue_url = one(aws_sqs_queue.subscriber_fifo[*].url)
      }
    } : key => route if var.sns_fanout
  }
}

# Raw delivery: the queue receives the published body and message attributes as they were
# sent, not wrapped in an SNS JSON envelope, so `queue receive` reads them like direct sends.
resource "aws_sns_topic_subscription" "fanout" {
  for_each             = local.fanout
  topic_arn            = each.value.topic_arn
  protocol             = "sqs"
  endpoint             = each.value.queue_arn
  raw_message_delivery = true
}

# SNS may only send to a queue whose policy allows it. Keep Version = "2012-10-17": without
# it AWS never applies the policy and `terraform apply` waits until it times out
# (hashicorp/terraform-provider-aws#29497).
resource "aws_sqs_queue_policy" "fanout" {
  for_each  = local.fanout
  queue_url = each.value.queue_url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AllowTopicToSend"
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = each.value.queue_arn
      Condition = { ArnEquals = { "aws:SourceArn" = each.value.topic_arn } }
    }]
  })
}
