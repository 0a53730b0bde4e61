"""AWS_MSK_IAM: not done yet (next commit)."""
from __future__ import annotations

from typing import Any, Mapping

from purekafka.config import ProducerConfig
from purekafka.errors import KafkaConfigurationError

__all__ = ["MskIamMechanism"]


class MskIamMechanism:
    """Placeholder until the SigV4 signer lands."""

    name = "AWS_MSK_IAM"

    @classmethod
    def from_settings(cls, config: ProducerConfig, host: str, environ: Mapping[str, str]) -> Any:
        """Not implemented yet."""
        raise KafkaConfigurationError("sasl_mechanism='AWS_MSK_IAM' is not implemented yet")
