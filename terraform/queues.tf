# The practical's two queues. Their names and FIFO settings are the ones `queue` and
# `queue serve` use (queue::cli::PRAC_STANDARD_QUEUE / PRAC_FIFO_QUEUE); tests/terraform.rs
# checks that they stay the same.

resource "aws_sqs_queue" "prac" {
  name = "csse6400_prac"

  redrive_policy = var.dead_letter_queues ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.prac_dlq[0].arn
    maxReceiveCount     = var.max_receive_count
  }) : null
}

resource "aws_sqs_queue" "prac_fifo" {
  name                        = "csse6400_prac.fifo"
  fifo_queue                  = true
  content_based_deduplication = true

  redrive_policy = var.dead_letter_queues ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.prac_fifo_dlq[0].arn
    maxReceiveCount     = var.max_receive_count
  }) : null
}

# Optional dead-letter queues. A FIFO queue's dead-letter queue must itself be FIFO. They keep
# messages for the maximum 14 days, longer than the source queues' 4-day default, so a message
# does not expire on arrival.

resource "aws_sqs_queue" "prac_dlq" {
  count                     = var.dead_letter_queues ? 1 : 0
  name                      = "csse6400_prac_dlq"
  message_retention_seconds = 1209600
}

resource "aws_sqs_queue" "prac_fifo_dlq" {
  count                     = var.dead_letter_queues ? 1 : 0
  name                      = "csse6400_prac_dlq.fifo"
  fifo_queue                = true
  message_retention_seconds = 1209600
}
