-- Undo V5 work_queue_projections (children before parents, then types, then the schema).

DROP TABLE IF EXISTS work_queue.daily_metrics;
DROP TABLE IF EXISTS work_queue.patient_priorities;
DROP TABLE IF EXISTS work_queue.therapist_capacity;
DROP TABLE IF EXISTS work_queue.items;
DROP TABLE IF EXISTS work_queue.templates;
DROP TYPE IF EXISTS work_queue.item_priority;
DROP TYPE IF EXISTS work_queue.item_status;
DROP SCHEMA IF EXISTS work_queue;
