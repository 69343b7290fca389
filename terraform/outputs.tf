output "standard_queue_url" {
  description = "URL of csse6400_prac (what `queue --name` also accepts)."
  value       = aws_sqs_queue.prac.url
}

output "standard_queue_arn" {
  description = "ARN of csse6400_prac."
  value       = aws_sqs_queue.prac.arn
}

output "fifo_queue_url" {
  description = "URL of csse6400_prac.fifo."
  value       = aws_sqs_queue.prac_fifo.url
}

output "fifo_queue_arn" {
  description = "ARN of csse6400_prac.fifo."
  value       = aws_sqs_queue.prac_fifo.arn
}

output "standard_dead_letter_queue_url" {
  description = "URL of csse6400_prac's dead-letter queue (null unless dead_letter_queues)."
  value       = one(aws_sqs_queue.prac_dlq[*].url)
}

output "fifo_dead_letter_queue_url" {
  description = "URL of csse6400_prac.fifo's dead-letter queue (null unless dead_letter_queues)."
  value       = one(aws_sqs_queue.prac_fifo_dlq[*].url)
}

output "topic_arn" {
  description = "ARN of the standard topic (null unless sns_fanout)."
  value       = one(aws_sns_topic.prac[*].arn)
}

output "fifo_topic_arn" {
  description = "ARN of the FIFO topic (null unless sns_fanout)."
  value       = one(aws_sns_topic.prac_fifo[*].arn)
}

output "subscriber_queue_url" {
  description = "URL of the second queue subscribed to the standard topic (null unless sns_fanout)."
  value       = one(aws_sqs_queue.subscriber[*].url)
}

output "subscriber_fifo_queue_url" {
  description = "URL of the second queue subscribed to the FIFO topic (null unless sns_fanout)."
  value       = one(aws_sqs_queue.subscriber_fifo[*].url)
}
