/*
 * A librdkafka mock cluster (in memory, no JVM) for tests and benchmarks of the Kafka backend.
 *
 *   kafka-mock-cluster BROKERS [TOPIC:PARTITIONS ...]
 *
 * Creates the cluster and the topics, prints "bootstrap <servers>" on one line, then reads
 * commands on stdin, one a line, answering each on stdout:
 *   topic NAME PARTITIONS   -> "ok" or "error <reason>" (the 2.0.2 mock has no CreateTopics API)
 *   down BROKER_ID / up BROKER_ID -> "ok": the broker stops (starts) answering, as in an outage
 *   errors API_KEY ERR [ERR ...]     -> "ok": the next requests of that API (any broker) are answered
 *                                       with these Kafka error codes, one each, in order (-195, the
 *                                       local transport error, makes the broker drop the connection)
 *   rtt BROKER_ID MS                 -> "ok": the broker answers every request MS milliseconds late
 *   leader TOPIC PARTITION BROKER_ID -> "ok": the partition's leader moves to that broker
 *   coordinator GROUP BROKER_ID      -> "ok": the group's coordinator moves to that broker
 * It exits when stdin closes, so it never outlives the process that started it.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int create_topic(rd_kafka_mock_cluster_t *mcluster, int brokers, char *spec, char sep) {
  char *colon = strrchr(spec, sep);
  if (!colon) return -1;
  *colon = '\0';
  int partitions = atoi(colon + 1);
  if (partitions < 1 || spec[0] == '\0') return -1;
  int replication = brokers < 3 ? brokers : 3;
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, spec, partitions, replication);
  if (err) {
    fprintf(stderr, "cannot create topic %s: %s\n", spec, rd_kafka_err2str(err));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || atoi(argv[1]) < 1) {
    fprintf(stderr, "usage: %s BROKERS [TOPIC:PARTITIONS ...]\n", argv[0]);
    return 2;
  }
  int brokers = atoi(argv[1]);
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle never connects anywhere: keep its "no bootstrap.servers" warning quiet. */
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
  /* The cluster lives in this (otherwise idle) producer handle's threads. */
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mcluster) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  for (int i = 2; i < argc; i++) {
    if (create_topic(mcluster, brokers, argv[i], ':') != 0) {
      fprintf(stderr, "bad topic spec %s: expected NAME:PARTITIONS\n", argv[i]);
      return 2;
    }
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);

  char line[1024];
  while (fgets(line, sizeof(line), stdin)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "topic ", 6) == 0) {
      printf(create_topic(mcluster, brokers, line + 6, ' ') == 0 ? "ok\n" : "error cannot create topic\n");
    } else if (strncmp(line, "down ", 5) == 0 || strncmp(line, "up ", 3) == 0) {
      int down = line[0] == 'd';
      int32_t id = atoi(line + (down ? 5 : 3));
      rd_kafka_resp_err_t err = down ? rd_kafka_mock_broker_set_down(mcluster, id) : rd_kafka_mock_broker_set_up(mcluster, id);
      printf(err ? "error %s\n" : "ok\n", rd_kafka_err2str(err));
    } else if (strncmp(line, "errors ", 7) == 0) {
      rd_kafka_resp_err_t errs[64];
      size_t cnt = 0;
      char *rest = NULL;
      long api = strtol(line + 7, &rest, 10);
      while (cnt < 64 && rest && *rest) errs[cnt++] = (rd_kafka_resp_err_t)strtol(rest, &rest, 10);
      rd_kafka_mock_push_request_errors_array(mcluster, (int16_t)api, cnt, errs);
      printf("ok\n");
    } else if (strncmp(line, "rtt ", 4) == 0) {
      int32_t id = 0;
      int ms = 0;
      rd_kafka_resp_err_t err = sscanf(line + 4, "%d %d", &id, &ms) == 2 ? rd_kafka_mock_broker_set_rtt(mcluster, id, ms) : RD_KAFKA_RESP_ERR__INVALID_ARG;
      printf(err ? "error %s\n" : "ok\n", rd_kafka_err2str(err));
    } else if (strncmp(line, "leader ", 7) == 0) {
      char topic[256];
      int32_t partition = 0, id = 0;
      rd_kafka_resp_err_t err = sscanf(line + 7, "%255s %d %d", topic, &partition, &id) == 3 ? rd_kafka_mock_partition_set_leader(mcluster, topic, partition, id)
                                                                                              : RD_KAFKA_RESP_ERR__INVALID_ARG;
      printf(err ? "error %s\n" : "ok\n", rd_kafka_err2str(err));
    } else if (strncmp(line, "coordinator ", 12) == 0) {
      char group[256];
      int32_t id = 0;
      rd_kafka_resp_err_t err = sscanf(line + 12, "%255s %d", group, &id) == 2 ? rd_kafka_mock_coordinator_set(mcluster, "group", group, id) : RD_KAFKA_RESP_ERR__INVALID_ARG;
      printf(err ? "error %s\n" : "ok\n", rd_kafka_err2str(err));
    } else {
      printf("error unknown command\n");
    }
    fflush(stdout);
  }
  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
