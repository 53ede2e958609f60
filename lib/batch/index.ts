// Batch scoring's core (README, "Batch scoring"; the contract is at the top of ./score-rows.ts):
// readers that turn a file or a byte range of it into rows, or a folder into pictures; the scorers, the writers.
export { resolveTarget, scoreRows, rowErrorOf, type BatchFormat, type BatchRow, type BatchTarget, type RowError, type ScoredRow } from './score-rows';
export { scoreStream, type ScoreStreamOptions } from './score-stream';
export { csvRows, parseCsvHeader, type CsvRowsOptions } from './csv-rows';
export { jsonlRows, type JsonlRowsOptions } from './jsonl-rows';
export { fileRecords, MAX_RECORD_BYTES, type FileRecord, type Position } from './records';
export { answerColumns, csvWriter, jsonlWriter, rowWriter, type KeyColumn, type OutputFormat, type OutputRow, type RowWriter } from './write-rows';
export { imageFolder, mediaTypeOfFile, type ImageFile, type ImageFolder } from './image-files';
export { assertTakesPictures, scoreImages, type ScoredFile } from './score-images';
