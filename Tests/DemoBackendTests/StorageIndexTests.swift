import Foundation
import Testing
@testable import DemoBackend

@Suite("Storage: secondary indexes")
final class StorageIndexTests {
    let directory: StorageTempDirectory
    let connection: SQLiteConnection

    init() throws {
        directory = try StorageTempDirectory()
        let path = directory.file("db.sqlite")
        try seedStorageTestDatabase(at: path, scale: 0.01)
        connection = try SQLiteConnection(path: path)
    }

    deinit {
        connection.close()
        directory.remove()
    }

    static let tagFilter = "SELECT article_id FROM article_tags WHERE tag_id = ?"

    func plan(_ sql: String) throws -> String {
        try connection.explainQueryPlan(sql).joined(separator: " | ")
    }

    @Test func tagFilterUsesTheTagIndexOnlyWhenPresent() throws {
        #expect(SecondaryIndexes.present(on: connection))
        #expect(try plan(Self.tagFilter).contains("idx_article_tags_tag"))

        try SecondaryIndexes.drop(on: connection)
        #expect(!SecondaryIndexes.present(on: connection))
        #expect(try SecondaryIndexes.presentNames(on: connection).isEmpty)
        let naive = try plan(Self.tagFilter)
        #expect(!naive.contains("idx_article_tags_tag"))
        #expect(naive.contains("SCAN"))

        var steps: [Int] = []
        try SecondaryIndexes.create(on: connection) { done, total in
            #expect(total == SecondaryIndexes.all.count)
            steps.append(done)
        }
        #expect(steps == Array(1...SecondaryIndexes.all.count))
        #expect(SecondaryIndexes.present(on: connection))
        #expect(try plan(Self.tagFilter).contains("idx_article_tags_tag"))
    }

    @Test func preparedStatementsOnOtherConnectionsPickUpTheIndexChange() throws {
        let other = try SQLiteConnection(path: connection.path)
        defer { other.close() }
        let select = try other.prepare(Self.tagFilter)
        try select.bind(1)
        let before = try select.rows { $0.int(0) }
        #expect(select.fullScanSteps == 0)  // index search

        try SecondaryIndexes.drop(on: connection)
        try select.bind(1)
        #expect(try select.rows { $0.int(0) }.sorted() == before.sorted())
        let scanned = select.fullScanSteps
        #expect(scanned > 0)  // re-prepared after the schema change: now a table scan

        try SecondaryIndexes.create(on: connection)
        try select.bind(1)
        #expect(try select.rows { $0.int(0) }.sorted() == before.sorted())
        #expect(select.fullScanSteps == scanned)  // back to the index: no more scan steps
    }

    @Test func createAndDropAreIdempotent() throws {
        try SecondaryIndexes.create(on: connection)
        #expect(SecondaryIndexes.present(on: connection))
        try SecondaryIndexes.drop(on: connection)
        try SecondaryIndexes.drop(on: connection)
        #expect(!SecondaryIndexes.present(on: connection))
    }
}
