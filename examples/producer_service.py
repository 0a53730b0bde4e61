# The guide's "Complete Producer Example (Python)", unchanged except for the import lines
# (purekafka instead of kafka, plus sys) and the usage block, which takes the bootstrap
# servers and a topic prefix from the command line:
#     python examples/producer_service.py [BOOTSTRAP] [TOPIC_PREFIX]
from purekafka import KafkaProducer
from purekafka.errors import KafkaError
import json
import logging
import sys

TOPICS = {"user-events": 1, "events": 3}

logging.basicConfig(level=logging.INFO)
logger = logging.getLogger(__name__)

class KafkaProducerService:
    def __init__(self, bootstrap_servers=['localhost:9092']):
        self.producer = KafkaProducer(
            bootstrap_servers=bootstrap_servers,
            value_serializer=lambda v: json.dumps(v).encode('utf-8'),
            key_serializer=lambda k: k.encode('utf-8') if k else None,
            acks='all',
            retries=3,
            compression_type='snappy',
            linger_ms=10,
            batch_size=32768
        )
        logger.info("✓ Producer created")
    
    def send_message(self, topic, key, value):
        try:
            future = self.producer.send(topic, key=key, value=value)
            record_metadata = future.get(timeout=10)
            logger.info(f"✓ Message sent: {topic} [{record_metadata.partition}] @ {record_metadata.offset}")
            return record_metadata
        except KafkaError as e:
            logger.error(f"✗ Failed to send message: {e}")
            raise
    
    def send_async(self, topic, key, value):
        def on_success(record_metadata):
            logger.info(f"✓ Message sent: {topic} [{record_metadata.partition}] @ {record_metadata.offset}")
        
        def on_error(exception):
            logger.error(f"✗ Failed to send message: {exception}")
        
        self.producer.send(topic, key=key, value=value) \
            .add_callback(on_success) \
            .add_errback(on_error)
    
    def close(self):
        self.producer.flush()
        self.producer.close()
        logger.info("✓ Producer closed")

# Usage
if __name__ == '__main__':
    bootstrap = sys.argv[1] if len(sys.argv) > 1 else 'localhost:9092'
    prefix = sys.argv[2] if len(sys.argv) > 2 else ''
    producer_service = KafkaProducerService(bootstrap_servers=[bootstrap])
    
    try:
        # Send message
        producer_service.send_message(
            prefix + 'user-events',
            'user123',
            {'action': 'login', 'timestamp': '2025-11-05T10:30:00Z'}
        )
        
        # Send async
        for i in range(10):
            producer_service.send_async(
                prefix + 'events',
                f'key-{i}',
                {'id': i, 'data': f'Message {i}'}
            )
    finally:
        producer_service.close()
