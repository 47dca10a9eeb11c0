import Foundation
import Knobs

/// Renders a console frame without a terminal, for `dyno screenshot` and the README's picture.
public enum ConsoleScreenshot {
    public enum Format: String, Sendable { case text = "txt", svg }

    /// The frame of `model` at `width` × `height` as plain text or an SVG document.
    public static func render(_ model: ConsoleModel, knobs: KnobRegistry?, width: Int = 160, height: Int = 48,
                              format: Format, glyphs: Glyphs = .unicode) -> String {
        let canvas = MemoryCanvas(width: width, height: height, glyphs: glyphs)
        ConsoleRenderer.draw(model, knobs: knobs, on: canvas)
        return format == .svg ? canvas.svg() : canvas.text
    }

    /// Writes the frame to `path`; the format follows the extension (.svg or .txt).
    /// - Throws: `ScreenshotError` for another extension or when the file cannot be written.
    public static func write(_ model: ConsoleModel, knobs: KnobRegistry?, to path: String,
                             width: Int = 160, height: Int = 48) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        guard let format = Format(rawValue: ext) else {
            throw ScreenshotError(message: "screenshot \(path): unknown extension \".\(ext)\" (expected .svg or .txt)")
        }
        let body = render(model, knobs: knobs, width: width, height: height, format: format)
        do {
            try body.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ScreenshotError(message: "screenshot \(path): cannot write (\(error.localizedDescription))")
        }
    }
}

public struct ScreenshotError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}
